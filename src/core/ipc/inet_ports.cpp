#include "inet_ports.hpp"

#include <cstddef>
#include <span>
#include <utility>

#include "litebox/platform/platform.hpp"

namespace litebox::ipc {

namespace {

constexpr uint32_t ephemeral_port_count = last_ephemeral_port - first_ephemeral_port + 1;

// Made during static initialization, so before any guest fork, on the heap
// that forked guest processes share.
InetPortTable& port_table = *new InetPortTable();
InetPortTable& udp_port_table = *new InetPortTable();

bool accepts_ipv4(const InetBinding& binding) {
  return binding.address.is_ipv4() || binding.dual_stack;
}

bool accepts_ipv6(const InetBinding& binding) { return !binding.address.is_ipv4(); }

// Whether one address can reach both bindings.
bool overlaps(const InetBinding& first, const InetBinding& second) {
  bool first_any = first.address.is_any();
  bool second_any = second.address.is_any();
  if (first_any && second_any) {
    return (accepts_ipv4(first) && accepts_ipv4(second)) ||
           (accepts_ipv6(first) && accepts_ipv6(second));
  }
  if (first_any) {
    return binding_accepts(first, second.address);
  }
  if (second_any) {
    return binding_accepts(second, first.address);
  }
  return first.address.ip == second.address.ip;
}

}  // namespace

InetPortTable& inet_ports() { return port_table; }
InetPortTable& udp_ports() { return udp_port_table; }

bool binding_accepts(const InetBinding& binding, const InetAddress& destination) {
  if (!binding.address.is_any()) {
    return binding.address.ip == destination.ip;
  }
  return destination.is_ipv4() ? accepts_ipv4(binding) : accepts_ipv6(binding);
}

bool InetPortTable::conflicts_locked(const InetBinding& binding) const {
  auto [first, last] = entries_.equal_range(binding.address.port);
  for (auto position = first; position != last; ++position) {
    const Entry& entry = position->second;
    if (entry.binding.owner == binding.owner || !overlaps(entry.binding, binding)) {
      continue;
    }
    bool listening = !entry.listener.expired();
    bool address_reused = binding.reuse_address && entry.binding.reuse_address && !listening;
    bool port_reused = binding.reuse_port && entry.binding.reuse_port;
    if (!address_reused && !port_reused) {
      return true;
    }
  }
  return false;
}

Result<uint16_t> InetPortTable::bind(const InetBinding& binding,
                                     std::weak_ptr<DatagramQueue> receiver) {
  if (binding.address.port != 0) {
    sync::LockGuard guard(lock_);
    if (conflicts_locked(binding)) {
      return fail(Errno::eaddrinuse);
    }
    entries_.emplace(binding.address.port,
                     Entry{.binding = binding, .listener = {}, .receiver = std::move(receiver)});
    return binding.address.port;
  }

  // As Linux does, start at a random port and count up. An ephemeral port
  // is taken only when no socket has bound it at all.
  uint32_t start = 0;
  platform::current().random.fill(std::as_writable_bytes(std::span(&start, 1)));

  sync::LockGuard guard(lock_);
  for (uint32_t attempt = 0; attempt < ephemeral_port_count; ++attempt) {
    auto port =
        static_cast<uint16_t>(first_ephemeral_port + (start + attempt) % ephemeral_port_count);
    if (entries_.contains(port)) {
      continue;
    }
    InetBinding chosen = binding;
    chosen.address.port = port;
    entries_.emplace(port,
                     Entry{.binding = chosen, .listener = {}, .receiver = std::move(receiver)});
    return port;
  }
  return fail(Errno::eaddrinuse);
}

void InetPortTable::hold(const InetBinding& binding) {
  sync::LockGuard guard(lock_);
  entries_.emplace(binding.address.port, Entry{.binding = binding, .listener = {}, .receiver = {}});
}

std::multimap<uint16_t, InetPortTable::Entry>::iterator InetPortTable::find_locked(uint64_t owner,
                                                                                   uint16_t port) {
  auto [first, last] = entries_.equal_range(port);
  for (auto position = first; position != last; ++position) {
    if (position->second.binding.owner == owner) {
      return position;
    }
  }
  return entries_.end();
}

Result<void> InetPortTable::listen(uint64_t owner, uint16_t port,
                                   std::weak_ptr<StreamListener> listener) {
  sync::LockGuard guard(lock_);
  auto position = find_locked(owner, port);
  if (position == entries_.end()) {
    return fail(Errno::einval);
  }

  // Two sockets with SO_REUSEADDR may share a port until both listen.
  const InetBinding& binding = position->second.binding;
  auto [first, last] = entries_.equal_range(port);
  for (auto other = first; other != last; ++other) {
    const Entry& entry = other->second;
    if (entry.binding.owner == owner || entry.listener.expired() ||
        !overlaps(entry.binding, binding)) {
      continue;
    }
    if (!(binding.reuse_port && entry.binding.reuse_port)) {
      return fail(Errno::eaddrinuse);
    }
  }
  position->second.listener = std::move(listener);
  return {};
}

template <typename Target>
std::shared_ptr<Target> InetPortTable::find_target_locked(const InetAddress& destination,
                                                          std::weak_ptr<Target> Entry::*member) {
  std::shared_ptr<Target> wildcard;
  auto [first, last] = entries_.equal_range(destination.port);
  for (auto position = first; position != last; ++position) {
    const Entry& entry = position->second;
    if (!binding_accepts(entry.binding, destination)) {
      continue;
    }
    auto target = (entry.*member).lock();
    if (!target) {
      continue;
    }
    if (!entry.binding.address.is_any()) {
      return target;
    }
    if (!wildcard) {
      wildcard = std::move(target);
    }
  }
  return wildcard;
}

std::shared_ptr<StreamListener> InetPortTable::find_listener(const InetAddress& destination) {
  sync::LockGuard guard(lock_);
  return find_target_locked(destination, &Entry::listener);
}

std::shared_ptr<DatagramQueue> InetPortTable::find_receiver(const InetAddress& destination) {
  sync::LockGuard guard(lock_);
  return find_target_locked(destination, &Entry::receiver);
}

void InetPortTable::release(uint64_t owner, uint16_t port) {
  sync::LockGuard guard(lock_);
  auto position = find_locked(owner, port);
  if (position != entries_.end()) {
    entries_.erase(position);
  }
}

}  // namespace litebox::ipc
