// The splice relay on loopback: integrity both ways, half-close,
// backpressure, resets, candidate fallback, and no descriptor left behind.
#include <gtest/gtest.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>
#include <thread>

#include "gateway/relay.hpp"

namespace airlock::gateway {
namespace {

IpAddress loopback() { return IpAddress::v4(127, 0, 0, 1); }

UniqueFd listening(SocketAddress& bound, bool listen = true) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  socklen_t length = 0;
  const SocketAddress any_port{loopback(), 0};
  auto sa = any_port.to_sockaddr(length);
  EXPECT_EQ(::bind(fd.get(), reinterpret_cast<const sockaddr*>(&sa), length), 0);
  if (listen) {
    EXPECT_EQ(::listen(fd.get(), 16), 0);
  }
  sockaddr_storage local{};
  length = sizeof local;
  ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&local), &length);
  bound = *SocketAddress::from_sockaddr(local);
  return fd;
}

UniqueFd connect_to(const SocketAddress& to) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  socklen_t length = 0;
  auto sa = to.to_sockaddr(length);
  EXPECT_EQ(::connect(fd.get(), reinterpret_cast<const sockaddr*>(&sa), length), 0) << std::strerror(errno);
  return fd;
}

int open_fds() {
  int n = 0;
  DIR* dir = ::opendir("/proc/self/fd");
  while (::readdir(dir) != nullptr) ++n;
  ::closedir(dir);
  return n;
}

std::uint8_t pattern(std::uint64_t i) { return static_cast<std::uint8_t>((i * 7919) >> 3); }

bool send_pattern(int fd, std::uint64_t total) {
  std::vector<std::uint8_t> buf(1 << 16);
  std::uint64_t sent = 0;
  while (sent < total) {
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), total - sent));
    for (std::size_t i = 0; i < n; ++i) buf[i] = pattern(sent + i);
    const ssize_t w = ::send(fd, buf.data(), n, MSG_NOSIGNAL);
    if (w <= 0) return false;
    sent += static_cast<std::uint64_t>(w);
  }
  return true;
}

// Reads to EOF; returns the byte count, or -1 on a mismatch or an error.
long long receive_pattern(int fd) {
  std::vector<std::uint8_t> buf(1 << 16);
  std::uint64_t got = 0;
  while (true) {
    const ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
    if (n < 0) return -1;
    if (n == 0) return static_cast<long long>(got);
    for (ssize_t i = 0; i < n; ++i)
      if (buf[static_cast<std::size_t>(i)] != pattern(got + static_cast<std::uint64_t>(i))) return -1;
    got += static_cast<std::uint64_t>(n);
  }
}

// A relay from an accepted connection (side A) to `candidates`, with the
// test's client connected to A; drive() runs the event loop.
struct Rig {
  SocketAddress front_address;
  UniqueFd front = listening(front_address);
  UniqueFd client = connect_to(front_address);
  Poller poller;
  std::unique_ptr<Relay> relay;

  explicit Rig(std::vector<SocketAddress> candidates) {
    UniqueFd a(::accept4(front.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
    relay = std::make_unique<Relay>(poller, 0x100, std::move(a), std::move(candidates));
  }

  Relay::State drive(std::chrono::seconds limit = std::chrono::seconds(20)) {
    const auto end = std::chrono::steady_clock::now() + limit;
    epoll_event events[16];
    while (std::chrono::steady_clock::now() < end) {
      const auto s = relay->state();
      if (s == Relay::State::done || s == Relay::State::failed) return s;
      for (const auto& ev : poller.wait(events, 50)) relay->on_event(static_cast<unsigned>(ev.data.u64 & 1), ev.events);
    }
    return relay->state();
  }
};

TEST(GatewayRelay, BulkBothWaysWithHalfClose) {
  SocketAddress server_address;
  auto server = listening(server_address);
  constexpr std::uint64_t kUp = 24u << 20, kDown = 8u << 20;
  std::atomic<long long> server_got{-2};
  std::thread server_thread([&] {
    UniqueFd conn(::accept4(server.get(), nullptr, nullptr, SOCK_CLOEXEC));
    server_got = receive_pattern(conn.get());  // returns at the client's FIN
    send_pattern(conn.get(), kDown);
  });
  Rig rig({server_address});
  std::atomic<long long> client_got{-2};
  std::thread client_thread([&] {
    send_pattern(rig.client.get(), kUp);
    ::shutdown(rig.client.get(), SHUT_WR);
    client_got = receive_pattern(rig.client.get());
  });
  EXPECT_EQ(rig.drive(), Relay::State::done);
  client_thread.join();
  server_thread.join();
  EXPECT_EQ(server_got, static_cast<long long>(kUp));
  EXPECT_EQ(client_got, static_cast<long long>(kDown));
  EXPECT_EQ(rig.relay->bytes_a_to_b(), kUp);
  EXPECT_EQ(rig.relay->bytes_b_to_a(), kDown);
  EXPECT_EQ(rig.relay->connected_to(), server_address);
}

TEST(GatewayRelay, BackpressureBoundsWhatIsInFlight) {
  SocketAddress server_address;
  auto server = listening(server_address);
  Rig rig({server_address});
  UniqueFd conn(::accept4(server.get(), nullptr, nullptr, SOCK_CLOEXEC));
  // The server reads nothing: the client can only fill the buffers on the
  // way (two sockets each side, the pipe), then must block.
  const int flags = ::fcntl(rig.client.get(), F_GETFL);
  ::fcntl(rig.client.get(), F_SETFL, flags | O_NONBLOCK);
  std::vector<std::uint8_t> chunk(1 << 16, 'x');
  std::uint64_t accepted = 0;
  epoll_event events[16];
  for (int round = 0; round < 200; ++round) {
    while (true) {
      const ssize_t n = ::send(rig.client.get(), chunk.data(), chunk.size(), MSG_NOSIGNAL);
      if (n <= 0) break;
      accepted += static_cast<std::uint64_t>(n);
    }
    for (const auto& ev : rig.poller.wait(events, 5)) rig.relay->on_event(static_cast<unsigned>(ev.data.u64 & 1), ev.events);
  }
  EXPECT_LT(accepted, 64u << 20) << "the relay must stop reading while its destination does not";
  EXPECT_GT(accepted, 0u);
  EXPECT_EQ(rig.relay->state(), Relay::State::relaying);
  // Once the server reads, everything arrives.
  ::shutdown(rig.client.get(), SHUT_WR);
  std::atomic<std::uint64_t> drained{0};
  std::thread reader([&] {
    std::vector<std::uint8_t> buf(1 << 16);
    ssize_t n;
    while ((n = ::recv(conn.get(), buf.data(), buf.size(), 0)) > 0) drained += static_cast<std::uint64_t>(n);
    conn.reset();
  });
  EXPECT_EQ(rig.drive(), Relay::State::done);
  reader.join();
  EXPECT_EQ(drained.load(), accepted);
}

TEST(GatewayRelay, AResetOnOneSideResetsTheOther) {
  SocketAddress server_address;
  auto server = listening(server_address);
  Rig rig({server_address});
  UniqueFd conn(::accept4(server.get(), nullptr, nullptr, SOCK_CLOEXEC));
  ASSERT_EQ(::send(rig.client.get(), "hello", 5, MSG_NOSIGNAL), 5);
  char buf[16];
  epoll_event events[16];
  for (int i = 0; i < 20 && ::recv(conn.get(), buf, sizeof buf, MSG_DONTWAIT) <= 0; ++i)
    for (const auto& ev : rig.poller.wait(events, 20)) rig.relay->on_event(static_cast<unsigned>(ev.data.u64 & 1), ev.events);
  ASSERT_TRUE(reset_on_close(conn.get()));
  conn.reset();
  EXPECT_EQ(rig.drive(), Relay::State::done);
  rig.relay.reset();
  const ssize_t n = ::recv(rig.client.get(), buf, sizeof buf, 0);
  EXPECT_EQ(n, -1);
  EXPECT_EQ(errno, ECONNRESET);
}

TEST(GatewayRelay, TriesCandidatesInOrder) {
  SocketAddress closed_address, server_address;
  auto closed = listening(closed_address, false);  // bound, not listening: refused
  auto server = listening(server_address);
  Rig rig({closed_address, server_address});
  std::thread server_thread([&] {
    UniqueFd conn(::accept4(server.get(), nullptr, nullptr, SOCK_CLOEXEC));
    char buf[8];
    (void)::recv(conn.get(), buf, sizeof buf, 0);
    (void)::send(conn.get(), "ok", 2, MSG_NOSIGNAL);
  });
  ASSERT_EQ(::send(rig.client.get(), "hi", 2, MSG_NOSIGNAL), 2);
  ::shutdown(rig.client.get(), SHUT_WR);
  EXPECT_EQ(rig.drive(), Relay::State::done);
  server_thread.join();
  char buf[8] = {};
  EXPECT_EQ(::recv(rig.client.get(), buf, sizeof buf, 0), 2);
  EXPECT_STREQ(buf, "ok");
  EXPECT_EQ(rig.relay->connected_to(), server_address);
}

TEST(GatewayRelay, NoCandidateReachableFailsAndResets) {
  SocketAddress closed_address;
  auto closed = listening(closed_address, false);
  Rig rig({closed_address});
  EXPECT_EQ(rig.drive(), Relay::State::failed);
  EXPECT_NE(rig.relay->error().find("Connection refused"), std::string::npos) << rig.relay->error();
  rig.relay.reset();
  char buf[4];
  EXPECT_EQ(::recv(rig.client.get(), buf, sizeof buf, 0), -1);
  EXPECT_EQ(errno, ECONNRESET);
  EXPECT_EQ(Rig({}).drive(), Relay::State::failed) << "no candidate at all";
}

TEST(GatewayRelay, LeavesNoDescriptorBehind) {
  SocketAddress server_address;
  auto server = listening(server_address);
  const int before = open_fds();
  for (int i = 0; i < 20; ++i) {
    Rig rig({server_address});
    UniqueFd conn(::accept4(server.get(), nullptr, nullptr, SOCK_CLOEXEC));
    ::shutdown(rig.client.get(), SHUT_WR);
    ::shutdown(conn.get(), SHUT_WR);
    EXPECT_EQ(rig.drive(), Relay::State::done);
  }
  EXPECT_EQ(open_fds(), before);
}

}  // namespace
}  // namespace airlock::gateway
