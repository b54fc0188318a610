// Named Unix-domain stream sockets in core: the abstract name table, the
// listener's backlog, and the blocking accept and connect paths that the
// ABI tests reach only through timing. Each test uses names of its own,
// because one name table serves the whole process.
#include "litebox/ipc/stream_socket.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "memory_inode.hpp"
#include "test_threads.hpp"

namespace litebox::ipc {
namespace {

using litebox::testing::await_sleepers;
using litebox::testing::bytes_of;
using litebox::testing::mock_platform;
using litebox::testing::TestThread;

constexpr SocketCredentials server_credentials{.pid = 10, .uid = 1000, .gid = 100};
constexpr SocketCredentials client_credentials{.pid = 20, .uid = 2000, .gid = 200};

std::shared_ptr<StreamSocket> make_socket(uint32_t flags = 0) {
  return std::make_shared<StreamSocket>(fd::open_read_write | flags, client_credentials);
}

// A socket listening on the abstract name `name` with room for
// `backlog` + 1 pending connections.
std::shared_ptr<StreamSocket> make_listener(const std::string& name, uint32_t backlog = 4) {
  auto listener = std::make_shared<StreamSocket>(fd::open_read_write, server_credentials);
  EXPECT_TRUE(listener->bind_abstract(name));
  EXPECT_TRUE(listener->listen(backlog, server_credentials));
  return listener;
}

// A listener on `name` with a backlog of 0 and the one client that fills
// it.
struct FullListener {
  std::shared_ptr<StreamSocket> listener;
  std::shared_ptr<StreamSocket> pending_client;
};

FullListener make_full_listener(const std::string& name) {
  FullListener full{make_listener(name, 0), make_socket()};
  EXPECT_TRUE(full.pending_client->connect_abstract(name, client_credentials));
  return full;
}

std::string receive_text(StreamSocket& socket) {
  std::string text(64, '\0');
  auto count = socket.receive(std::as_writable_bytes(std::span(text)), SocketTransfer{});
  EXPECT_TRUE(count);
  text.resize(count ? *count : 0);
  return text;
}

TEST(UnixSocket, ConnectAcceptAndTransfer) {
  auto listener = make_listener("unit-transfer");
  auto client = make_socket();

  ASSERT_TRUE(client->connect_abstract("unit-transfer", client_credentials));
  ASSERT_EQ(client->send(bytes_of("ping"), SocketTransfer{}), 4U);
  EXPECT_NE(listener->poll_events() & event::pollin, 0U);

  auto accepted = listener->accept(fd::open_read_write, server_credentials);
  ASSERT_TRUE(accepted);
  EXPECT_EQ(listener->poll_events() & event::pollin, 0U);
  EXPECT_EQ(receive_text(**accepted), "ping");
  ASSERT_EQ((*accepted)->send(bytes_of("pong"), SocketTransfer{}), 4U);
  EXPECT_EQ(receive_text(*client), "pong");

  EXPECT_EQ(client->peer_credentials().pid, server_credentials.pid);
  EXPECT_EQ((*accepted)->peer_credentials().uid, client_credentials.uid);
  EXPECT_EQ(client->peer_address()->name, "unit-transfer");
  EXPECT_EQ((*accepted)->address().name, "unit-transfer");
  EXPECT_EQ((*accepted)->peer_address()->kind, SocketAddress::Kind::unnamed);
}

TEST(UnixSocket, AbstractNameReleasedOnClose) {
  auto first = make_socket();
  ASSERT_TRUE(first->bind_abstract("unit-released"));
  auto second = make_socket();
  EXPECT_EQ(second->bind_abstract("unit-released").error(), Errno::eaddrinuse);

  first.reset();
  EXPECT_TRUE(second->bind_abstract("unit-released"));
}

TEST(UnixSocket, AutobindNamesDiffer) {
  auto first = make_socket();
  auto second = make_socket();
  ASSERT_TRUE(first->bind_automatic());
  ASSERT_TRUE(second->bind_automatic());

  EXPECT_EQ(first->address().kind, SocketAddress::Kind::abstract);
  EXPECT_EQ(first->address().name.size(), 5U);
  EXPECT_NE(first->address().name, second->address().name);
}

TEST(UnixSocket, FullBacklogRejectsNonBlockingClient) {
  FullListener full = make_full_listener("unit-full");

  auto second = make_socket(fd::open_non_blocking);
  EXPECT_EQ(second->connect_abstract("unit-full", client_credentials).error(), Errno::eagain);
}

TEST(UnixSocket, BlockedAcceptWakesOnConnect) {
  auto listener = make_listener("unit-wake");
  Result<std::shared_ptr<StreamSocket>> accepted = fail(Errno::eio);

  TestThread server([&] { accepted = listener->accept(fd::open_read_write, server_credentials); });
  await_sleepers(1);
  auto client = make_socket();
  ASSERT_TRUE(client->connect_abstract("unit-wake", client_credentials));

  ASSERT_TRUE(server.join_within());
  EXPECT_TRUE(accepted);
}

TEST(UnixSocket, BlockedAcceptInterrupted) {
  auto listener = make_listener("unit-interrupted");
  Result<std::shared_ptr<StreamSocket>> accepted = fail(Errno::eio);

  TestThread server([&] { accepted = listener->accept(fd::open_read_write, server_credentials); });
  await_sleepers(1);
  mock_platform().interrupt(server.id());

  ASSERT_TRUE(server.join_within());
  EXPECT_EQ(accepted.error(), Errno::eintr);
}

TEST(UnixSocket, BlockedConnectWaitsForRoom) {
  FullListener full = make_full_listener("unit-room");
  Result<void> connected = fail(Errno::eio);

  auto second = make_socket();
  TestThread client([&] { connected = second->connect_abstract("unit-room", client_credentials); });
  await_sleepers(1);
  EXPECT_FALSE(client.finished());
  ASSERT_TRUE(full.listener->accept(fd::open_read_write, server_credentials));

  ASSERT_TRUE(client.join_within());
  EXPECT_TRUE(connected);
}

TEST(UnixSocket, BlockedConnectRefusedWhenListenerCloses) {
  FullListener full = make_full_listener("unit-refused");
  Result<void> connected = fail(Errno::eio);

  auto second = make_socket();
  TestThread client(
      [&] { connected = second->connect_abstract("unit-refused", client_credentials); });
  await_sleepers(1);
  full.listener.reset();

  ASSERT_TRUE(client.join_within());
  EXPECT_EQ(connected.error(), Errno::econnrefused);
}

TEST(UnixSocket, ListenerCloseResetsPendingClient) {
  auto listener = make_listener("unit-reset");
  auto client = make_socket();
  ASSERT_TRUE(client->connect_abstract("unit-reset", client_credentials));

  listener.reset();

  std::byte byte{};
  auto received = client->receive(std::span(&byte, 1), SocketTransfer{});
  EXPECT_EQ(received.error(), Errno::econnreset);
  EXPECT_EQ(client->receive(std::span(&byte, 1), SocketTransfer{}), 0U);
  EXPECT_EQ(client->connect_abstract("unit-reset", client_credentials).error(),
            Errno::econnrefused);
}

}  // namespace
}  // namespace litebox::ipc
