// TCP sockets on the sandbox's loopback network in core: the port table's
// conflict rules, routing to loopback only, and the connect paths that the
// ABI tests cannot reach natively (a non-loopback destination). One port
// table serves the whole process, so each test uses ports of its own or
// ephemeral ones.
#include <gtest/gtest.h>

#include <memory>

#include "core/ipc/inet_ports.hpp"
#include "litebox/ipc/stream_socket.hpp"
#include "memory_inode.hpp"

namespace litebox::ipc {
namespace {

using litebox::testing::bytes_of;

constexpr SocketCredentials credentials{.pid = 10, .uid = 1000, .gid = 100};

std::shared_ptr<StreamSocket> make_socket(SocketDomain domain, uint32_t flags = 0) {
  return std::make_shared<StreamSocket>(fd::open_read_write | flags, credentials, domain);
}

std::shared_ptr<StreamSocket> make_listener(SocketDomain domain, InetAddress address) {
  auto listener = make_socket(domain);
  EXPECT_TRUE(listener->bind_inet(address));
  EXPECT_TRUE(listener->listen(8, credentials));
  return listener;
}

TEST(InetAddress, LoopbackAndWildcard) {
  EXPECT_TRUE(InetAddress::from_ipv4({127, 9, 8, 7}, 0).is_loopback());
  EXPECT_TRUE(InetAddress::ipv6_loopback().is_loopback());
  EXPECT_TRUE(InetAddress::ipv4_any().is_any());
  EXPECT_TRUE(InetAddress::ipv6_any().is_any());
  EXPECT_FALSE(InetAddress::ipv6_any().is_ipv4());
  EXPECT_FALSE(InetAddress::from_ipv4({10, 1, 2, 3}, 0).is_local());
}

TEST(InetSocket, BindRejectsForeignAddress) {
  auto socket = make_socket(SocketDomain::inet);
  EXPECT_EQ(socket->bind_inet(InetAddress::from_ipv4({10, 1, 2, 3}, 0)).error(),
            Errno::eaddrnotavail);
  ASSERT_TRUE(socket->bind_inet(InetAddress::ipv4_loopback()));
  EXPECT_EQ(socket->bind_inet(InetAddress::ipv4_loopback()).error(), Errno::einval);
}

TEST(InetSocket, ConnectBeyondLoopbackIsUnreachable) {
  auto socket = make_socket(SocketDomain::inet);
  EXPECT_EQ(socket->connect_inet(InetAddress::from_ipv4({192, 0, 2, 1}, 80), credentials).error(),
            Errno::enetunreach);
  auto socket6 = make_socket(SocketDomain::inet6);
  InetAddress documentation{.ip = {0x20, 0x01, 0x0d, 0xb8}, .port = 80};
  EXPECT_EQ(socket6->connect_inet(documentation, credentials).error(), Errno::enetunreach);
}

TEST(InetSocket, WildcardConnectReachesLoopback) {
  auto listener = make_listener(SocketDomain::inet, InetAddress::ipv4_loopback());
  uint16_t port = listener->address().inet.port;
  ASSERT_GE(port, first_ephemeral_port);
  ASSERT_LE(port, last_ephemeral_port);

  auto client = make_socket(SocketDomain::inet);
  ASSERT_TRUE(client->connect_inet(InetAddress::ipv4_any(port), credentials));
  EXPECT_EQ(client->address().inet.ip, InetAddress::ipv4_loopback().ip);
  auto accepted = listener->accept(fd::open_read_write, credentials);
  ASSERT_TRUE(accepted);
  EXPECT_EQ((*accepted)->address().inet, InetAddress::ipv4_loopback(port));
  EXPECT_EQ((*accepted)->peer_address()->inet, client->address().inet);
}

TEST(InetSocket, NonBlockingConnectReportsProgressOnce) {
  auto listener = make_listener(SocketDomain::inet6, InetAddress::ipv6_loopback());
  InetAddress destination = InetAddress::ipv6_loopback(listener->address().inet.port);
  auto client = make_socket(SocketDomain::inet6, fd::open_non_blocking);

  EXPECT_EQ(client->connect_inet(destination, credentials).error(), Errno::einprogress);
  EXPECT_TRUE(client->connect_inet(destination, credentials));
  EXPECT_EQ(client->connect_inet(destination, credentials).error(), Errno::eisconn);
  ASSERT_EQ(client->send(bytes_of("kiwi"), SocketTransfer{}), 4U);
}

TEST(InetSocket, DualStackListenerTakesIpv4) {
  auto listener = make_listener(SocketDomain::inet6, InetAddress::ipv6_any());
  uint16_t port = listener->address().inet.port;

  auto conflicting = make_socket(SocketDomain::inet);
  EXPECT_EQ(conflicting->bind_inet(InetAddress::ipv4_any(port)).error(), Errno::eaddrinuse);
  auto client = make_socket(SocketDomain::inet);
  ASSERT_TRUE(client->connect_inet(InetAddress::ipv4_loopback(port), credentials));
  auto accepted = listener->accept(fd::open_read_write, credentials);
  ASSERT_TRUE(accepted);
  EXPECT_TRUE((*accepted)->peer_address()->inet.is_ipv4());
}

TEST(InetSocket, Ipv6OnlyListenerLeavesIpv4Port) {
  auto listener = make_socket(SocketDomain::inet6);
  ASSERT_TRUE(listener->set_ipv6_only(true));
  ASSERT_TRUE(listener->bind_inet(InetAddress::ipv6_any()));
  ASSERT_TRUE(listener->listen(8, credentials));
  EXPECT_EQ(listener->set_ipv6_only(false).error(), Errno::einval);
  uint16_t port = listener->address().inet.port;

  auto client = make_socket(SocketDomain::inet);
  EXPECT_EQ(client->connect_inet(InetAddress::ipv4_loopback(port), credentials).error(),
            Errno::econnrefused);
  auto ipv4 = make_listener(SocketDomain::inet, InetAddress::ipv4_any(port));
  EXPECT_TRUE(client->connect_inet(InetAddress::ipv4_loopback(port), credentials));
}

TEST(InetSocket, ReuseAddressNeedsNoListener) {
  auto listener = make_socket(SocketDomain::inet);
  listener->set_reuse_address(true);
  ASSERT_TRUE(listener->bind_inet(InetAddress::ipv4_loopback()));
  ASSERT_TRUE(listener->listen(8, credentials));
  uint16_t port = listener->address().inet.port;
  auto client = make_socket(SocketDomain::inet);
  ASSERT_TRUE(client->connect_inet(InetAddress::ipv4_loopback(port), credentials));
  auto accepted = listener->accept(fd::open_read_write, credentials);
  ASSERT_TRUE(accepted);

  auto waiting = make_socket(SocketDomain::inet);
  waiting->set_reuse_address(true);
  EXPECT_EQ(waiting->bind_inet(InetAddress::ipv4_loopback(port)).error(), Errno::eaddrinuse);
  listener.reset();
  auto plain = make_socket(SocketDomain::inet);
  EXPECT_EQ(plain->bind_inet(InetAddress::ipv4_loopback(port)).error(), Errno::eaddrinuse);
  EXPECT_TRUE(waiting->bind_inet(InetAddress::ipv4_loopback(port)));
  accepted->reset();
  EXPECT_TRUE(waiting->listen(8, credentials));
}

TEST(InetSocket, TwoReusingSocketsCannotBothListen) {
  auto first = make_socket(SocketDomain::inet);
  auto second = make_socket(SocketDomain::inet);
  first->set_reuse_address(true);
  second->set_reuse_address(true);
  ASSERT_TRUE(first->bind_inet(InetAddress::ipv4_loopback()));
  uint16_t port = first->address().inet.port;
  ASSERT_TRUE(second->bind_inet(InetAddress::ipv4_loopback(port)));

  ASSERT_TRUE(first->listen(8, credentials));
  EXPECT_EQ(second->listen(8, credentials).error(), Errno::eaddrinuse);
}

TEST(InetSocket, PortReleasedOnClose) {
  auto socket = make_socket(SocketDomain::inet);
  ASSERT_TRUE(socket->bind_inet(InetAddress::from_ipv4({127, 0, 0, 3}, 1234)));
  auto other = make_socket(SocketDomain::inet);
  EXPECT_EQ(other->bind_inet(InetAddress::ipv4_any(1234)).error(), Errno::eaddrinuse);
  EXPECT_TRUE(other->bind_inet(InetAddress::from_ipv4({127, 0, 0, 4}, 1234)));

  socket.reset();
  auto third = make_socket(SocketDomain::inet);
  EXPECT_TRUE(third->bind_inet(InetAddress::from_ipv4({127, 0, 0, 3}, 1234)));
}

}  // namespace
}  // namespace litebox::ipc
