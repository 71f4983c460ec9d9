// The Gateway's event loop end to end, without the airlock binary: inside
// fresh namespaces, a "host" network namespace (upstream servers, the
// Gateway) and a child in its own "inside" network namespace (init's
// set-up, then a client). Only loopback addresses of those namespaces are
// used; names are pinned, so nothing is resolved.
#include <gtest/gtest.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <thread>

#include "gateway/channel.hpp"
#include "gateway/gateway.hpp"
#include "gateway/inside.hpp"
#include "policy/egress.hpp"
#include "sandbox/namespace_harness.hpp"
#include "sandbox/namespaces.hpp"

namespace airlock::gateway {
namespace {

using airlock::testing::errno_name;
using airlock::testing::run_in_new_namespaces;

UniqueFd listen_on_loopback(std::uint16_t& port) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  const SocketAddress any{IpAddress::v4(127, 0, 0, 1), 0};
  socklen_t length = 0;
  auto sa = any.to_sockaddr(length);
  check_syscall(::bind(fd.get(), reinterpret_cast<const sockaddr*>(&sa), length), "bind");
  check_syscall(::listen(fd.get(), 16), "listen");
  sockaddr_storage local{};
  length = sizeof local;
  ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&local), &length);
  port = SocketAddress::from_sockaddr(local)->port;
  return fd;
}

// "ok <what the server sent>" after sending `payload` and half-closing, or an errno name.
std::string exchange(const IpAddress& ip, std::uint16_t port, std::size_t payload) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  const SocketAddress to{ip, port};
  socklen_t length = 0;
  auto sa = to.to_sockaddr(length);
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&sa), length) != 0) return errno_name(errno);
  std::string chunk(64 * 1024, 'x');
  for (std::size_t sent = 0; sent < payload; sent += chunk.size())
    if (::send(fd.get(), chunk.data(), chunk.size(), MSG_NOSIGNAL) < 0) return errno_name(errno);
  ::shutdown(fd.get(), SHUT_WR);
  std::string got;
  char buf[256];
  ssize_t n;
  while ((n = ::recv(fd.get(), buf, sizeof buf, 0)) > 0) got.append(buf, static_cast<std::size_t>(n));
  if (n < 0) return errno_name(errno);
  return "ok " + got;
}

// An A query for `name` to the stub; "rcode=N <address>".
std::string ask_stub(const std::string& name) {
  std::vector<std::uint8_t> q = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
  std::size_t start = 0;
  while (start <= name.size()) {
    auto dot = std::min(name.find('.', start), name.size());
    q.push_back(static_cast<std::uint8_t>(dot - start));
    q.insert(q.end(), name.begin() + static_cast<std::ptrdiff_t>(start), name.begin() + static_cast<std::ptrdiff_t>(dot));
    start = dot + 1;
  }
  q.insert(q.end(), {0, 0, 1, 0, 1});
  UniqueFd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  const SocketAddress stub{IpAddress::v4(127, 0, 0, 53), 53};
  socklen_t length = 0;
  auto sa = stub.to_sockaddr(length);
  ::sendto(fd.get(), q.data(), q.size(), 0, reinterpret_cast<const sockaddr*>(&sa), length);
  pollfd p{fd.get(), POLLIN, 0};
  if (::poll(&p, 1, 5000) != 1) return "timeout";
  std::uint8_t r[512];
  const ssize_t n = ::recv(fd.get(), r, sizeof r, 0);
  if (n < 12) return "short";
  std::string out = "rcode=" + std::to_string(r[3] & 0x0f);
  if (r[7] == 1 && n >= 4) out += " " + IpAddress::v4(r[n - 4], r[n - 3], r[n - 2], r[n - 1]).str();
  return out;
}

TEST(GatewayLoop, EndToEndAcrossTwoNetworkNamespaces) {
  const auto run = run_in_new_namespaces([](std::string& out) {
    namespaces::bring_up_loopback();
    std::uint16_t greeter_port = 0, closer_port = 0;
    auto greeter = listen_on_loopback(greeter_port);
    auto closer = listen_on_loopback(closer_port);
    std::thread([fd = greeter.get()] {
      while (true) {
        UniqueFd c(::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC));
        if (!c) return;
        char buf[65536];
        while (::recv(c.get(), buf, sizeof buf, 0) > 0) {
        }
        (void)::send(c.get(), "hello", 5, MSG_NOSIGNAL);
      }
    }).detach();
    std::thread([fd = closer.get()] {
      while (true) {
        UniqueFd c(::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC));
        if (!c) return;
      }
    }).detach();

    policy::Network network;
    network.mode = policy::NetworkMode::allowlist;
    std::string why;
    const auto g = std::to_string(greeter_port), c = std::to_string(closer_port);
    for (const auto& text : {"127.0.0.1:" + g, "pinned.test:" + g, "127.0.0.1:" + c})
      network.allow.push_back(*policy::parse_egress_rule(text, why));
    network.hosts = {{"pinned.test", "127.0.0.1"}};
    const auto config = build(network);
    auto [inside, outside] = channel::make_pair();
    int results[2];
    check_syscall(::pipe2(results, O_CLOEXEC), "pipe2");
    const pid_t client = ::fork();
    if (client == 0) {
      outside.reset();
      ::close(results[0]);
      std::string report;
      if (::unshare(CLONE_NEWNET) != 0) ::_exit(3);
      namespaces::bring_up_loopback();
      set_up_inside(config, inside.get());
      const auto address = ask_stub("pinned.test");
      report += "dns=" + address + "\n";
      report += "denied_dns=" + ask_stub("evil.test") + "\n";
      report += "literal=" + exchange(IpAddress::v4(127, 0, 0, 1), greeter_port, 10) + "\n";
      const auto synthetic = IpAddress::parse(address.substr(address.find(' ') + 1)).value_or(IpAddress{});
      report += "named=" + exchange(synthetic, greeter_port, 4 << 20) + "\n";
      report += "named_other_port=" + exchange(synthetic, closer_port, 10) + "\n";
      report += "closer=" + exchange(IpAddress::v4(127, 0, 0, 1), closer_port, 64 << 20) + "\n";
      testing::write_all(results[1], report);
      ::_exit(0);
    }
    inside.reset();
    ::close(results[1]);
    // SIGPIPE back to its default here, as in airlock's supervisor.
    std::signal(SIGPIPE, SIG_DFL);
    Gateway gateway(config, std::move(outside));
    out += std::string("sigpipe_ignored=") + (std::signal(SIGPIPE, SIG_IGN) == SIG_IGN ? "yes" : "no") + "\n";
    int status = 0;
    while (::waitpid(client, &status, WNOHANG) == 0) {
      pollfd p{gateway.fd(), POLLIN, 0};
      if (::poll(&p, 1, 20) > 0) gateway.process();
    }
    out += testing::read_all(results[0]);
    ::close(results[0]);
    out += "client_status=" + std::to_string(status) + "\n";
    const auto& s = gateway.stats();
    out += "allowed=" + std::to_string(s.connections_allowed) + "\n";
    out += "denied=" + std::to_string(s.connections_denied) + "\n";
    out += "answered=" + std::to_string(s.dns_answered) + "\n";
    out += "refused=" + std::to_string(s.dns_refused) + "\n";
    out += "bytes_out_at_least_4mib=" + std::string(s.bytes_out >= (4u << 20) ? "yes" : "no") + "\n";
    return 0;
  });
  ASSERT_EQ(run.status, 0) << run.output;
  auto v = run.values();
  EXPECT_EQ(v["client_status"], "0") << run.output;
  EXPECT_EQ(v["sigpipe_ignored"], "yes");
  EXPECT_EQ(v["dns"], "rcode=0 127.77.0.1");
  EXPECT_EQ(v["denied_dns"], "rcode=3");
  EXPECT_EQ(v["literal"], "ok hello");
  EXPECT_EQ(v["named"], "ok hello") << "the pin is used, no DNS";
  EXPECT_EQ(v["named_other_port"], "ECONNRESET");
  EXPECT_TRUE(v["closer"] == "EPIPE" || v["closer"] == "ECONNRESET" || v["closer"] == "ok ") << v["closer"];
  EXPECT_EQ(v["allowed"], "3");
  EXPECT_EQ(v["denied"], "1");
  EXPECT_EQ(v["answered"], "1");
  EXPECT_EQ(v["refused"], "1");
  EXPECT_EQ(v["bytes_out_at_least_4mib"], "yes");
}

}  // namespace
}  // namespace airlock::gateway
