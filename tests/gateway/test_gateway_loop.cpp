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

// Servers on the "host" side run in threads started only after the client
// is forked: a fork while other threads run can leave the child a lock that
// no thread will release (seen under the sanitizers as a child that never
// answered the gateway).
void serve_greetings(int fd, std::size_t buffer) {
  std::thread([fd, buffer] {
    std::vector<char> buf(buffer);
    while (true) {
      UniqueFd c(::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC));
      if (!c) return;
      while (::recv(c.get(), buf.data(), buf.size(), 0) > 0) {
      }
      (void)::send(c.get(), "hello", 5, MSG_NOSIGNAL);
    }
  }).detach();
}

// A wait that a broken relay would make endless ends as EAGAIN instead.
void bound_waits(int fd) {
  const timeval limit{60, 0};
  check_syscall(::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit), "SO_RCVTIMEO");
  check_syscall(::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit), "SO_SNDTIMEO");
}

// "ok <what the server sent>" after sending `payload` and half-closing, or an errno name.
std::string exchange(const IpAddress& ip, std::uint16_t port, std::size_t payload) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  bound_waits(fd.get());
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
    serve_greetings(greeter.get(), 65536);
    std::thread([fd = closer.get()] {
      while (true) {
        UniqueFd accepted(::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC));
        if (!accepted) return;
      }
    }).detach();
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

// ---- log-only mode (audit)

// A DNS server on 127.0.0.1:`port` of the "host" namespace: "known.test"
// has the A record 127.0.0.1, every other name does not exist.
void serve_dns(int fd) {
  while (true) {
    std::uint8_t q[512];
    sockaddr_storage peer{};
    socklen_t peer_length = sizeof peer;
    const ssize_t n = ::recvfrom(fd, q, sizeof q, 0, reinterpret_cast<sockaddr*>(&peer), &peer_length);
    if (n < 12) return;
    std::size_t end = 12;
    std::string name;
    while (end < static_cast<std::size_t>(n) && q[end] != 0) {
      name += (name.empty() ? "" : ".") + std::string(reinterpret_cast<const char*>(q + end + 1), q[end]);
      end += 1u + q[end];
    }
    end += 5;  // the root label, type, class
    if (end > static_cast<std::size_t>(n)) continue;
    const bool a = q[end - 3] == 1;
    const bool known = name == "known.test";
    std::vector<std::uint8_t> r(q, q + end);
    r[2] = 0x81;
    r[3] = known ? 0x80 : 0x83;
    r[6] = 0, r[7] = known && a ? 1 : 0;
    r[8] = r[9] = r[10] = r[11] = 0;
    if (known && a) r.insert(r.end(), {0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 30, 0, 4, 127, 0, 0, 1});
    ::sendto(fd, r.data(), r.size(), 0, reinterpret_cast<const sockaddr*>(&peer), peer_length);
  }
}

UniqueFd udp_on_loopback(std::uint16_t port) {
  UniqueFd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  const SocketAddress at{IpAddress::v4(127, 0, 0, 1), port};
  socklen_t length = 0;
  auto sa = at.to_sockaddr(length);
  check_syscall(::bind(fd.get(), reinterpret_cast<const sockaddr*>(&sa), length), "bind");
  return fd;
}

TEST(GatewayLoop, LogOnlyAnswersRelaysAndRecordsEverything) {
  const auto run = run_in_new_namespaces([](std::string& out) {
    namespaces::bring_up_loopback();
    std::uint16_t greeter_port = 0;
    auto greeter = listen_on_loopback(greeter_port);
    std::uint16_t closed_port = 0;
    listen_on_loopback(closed_port);  // closed again at once: nothing answers there
    auto dns = udp_on_loopback(5353);

    policy::Network base;  // mode "none": the audit relays all the same
    base.hosts = {{"pinned.test", "127.0.0.1"}};
    auto config = build_log_only(base);
    config.resolver_servers = "127.0.0.1:5353";
    auto [inside, outside] = channel::make_pair();
    int announce[2], ack[2], results[2];
    check_syscall(::pipe2(announce, O_CLOEXEC), "pipe2");
    check_syscall(::pipe2(ack, O_CLOEXEC), "pipe2");
    check_syscall(::pipe2(results, O_CLOEXEC), "pipe2");
    const pid_t client = ::fork();
    if (client == 0) {
      outside.reset();
      ::close(announce[0]);
      ::close(ack[1]);
      ::close(results[0]);
      if (::unshare(CLONE_NEWNET) != 0) ::_exit(3);
      namespaces::bring_up_loopback();
      set_up_inside(config, inside.get());
      // init's part: listeners on request, while this process is the client.
      std::thread([fd = inside.get()] {
        while (serve_request(fd)) {
        }
      }).detach();
      std::uint16_t own_port = 0;
      auto own = listen_on_loopback(own_port);
      std::thread([fd = own.get()] {
        UniqueFd c(::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC));
        char buf[64];
        while (c && ::recv(c.get(), buf, sizeof buf, 0) > 0) {
        }
        if (c) (void)::send(c.get(), "mine", 4, MSG_NOSIGNAL);
      }).detach();
      // What audit's observer does: tell the gateway before connecting.
      auto connect_announced = [&](const IpAddress& to, std::uint16_t port) {
        const SocketAddress where{to, port};
        testing::write_all(announce[1], where.str() + "\n");
        char go = 0;
        if (::read(ack[0], &go, 1) != 1) return std::string("no ack");
        if (go != 'g') return std::string("refused at connect");
        return exchange(to, port, 10);
      };
      const auto synthetic = [](const std::string& answer) {
        return IpAddress::parse(answer.substr(answer.find(' ') + 1)).value_or(IpAddress{});
      };
      std::string report;
      const auto known = ask_stub("known.test");
      report += "known=" + known + "\n";
      report += "missing=" + ask_stub("nothere.test") + "\n";
      report += "named=" + connect_announced(synthetic(known), greeter_port) + "\n";
      report += "named_again_unannounced=" + exchange(synthetic(known), greeter_port, 10) + "\n";
      report += "host_loopback=" + connect_announced(IpAddress::v4(127, 0, 0, 1), greeter_port) + "\n";
      report += "own_server=" + connect_announced(IpAddress::v4(127, 0, 0, 1), own_port) + "\n";
      report += "nothing_answers=" + connect_announced(IpAddress::v4(127, 0, 0, 1), closed_port) + "\n";
      const auto pinned = ask_stub("pinned.test");
      report += "pinned=" + connect_announced(synthetic(pinned), greeter_port) + "\n";
      report += "unannounced=" + exchange(IpAddress::v4(203, 0, 113, 9), 80, 10) + "\n";
      testing::write_all(results[1], report);
      ::_exit(0);
    }
    serve_greetings(greeter.get(), 4096);
    std::thread([fd = dns.get()] { serve_dns(fd); }).detach();
    inside.reset();
    ::close(announce[1]);
    ::close(ack[0]);
    ::close(results[1]);
    Gateway gateway(config, std::move(outside));
    std::string pending;
    int status = 0;
    while (::waitpid(client, &status, WNOHANG) == 0) {
      pollfd p[2] = {{gateway.fd(), POLLIN, 0}, {announce[0], POLLIN, 0}};
      if (::poll(p, 2, 20) <= 0) continue;
      if (p[0].revents & POLLIN) gateway.process();
      if (p[1].revents & POLLIN) {
        char buf[128];
        const ssize_t n = ::read(announce[0], buf, sizeof buf);
        if (n > 0) pending.append(buf, static_cast<std::size_t>(n));
        for (auto nl = pending.find('\n'); nl != std::string::npos; nl = pending.find('\n')) {
          const auto line = pending.substr(0, nl);
          pending.erase(0, nl + 1);
          const auto colon = line.rfind(':');
          // What audit's observer does: the connect() goes on, or fails
          // with the errno, when the gateway answers (maybe later).
          gateway.expect({IpAddress::parse(line.substr(0, colon)).value(),
                          static_cast<std::uint16_t>(std::stoi(line.substr(colon + 1)))},
                         [fd = ack[1]](int error) { testing::write_all(fd, error == 0 ? "g" : "r"); });
        }
      }
    }
    // What the client's last steps left queued (it may exit before the loop
    // above gets to them on a loaded machine) is recorded before the stats
    // are read.
    pollfd p{gateway.fd(), POLLIN, 0};
    for (int round = 0; round < 50 && ::poll(&p, 1, 200) > 0 && (p.revents & POLLIN); ++round) gateway.process();
    out += testing::read_all(results[0]);
    out += "client_status=" + std::to_string(status) + "\n";
    const auto& s = gateway.stats();
    const auto& t = s.traffic;
    out += "log_only=" + std::to_string(s.log_only) + "\n";
    out += "denied=" + std::to_string(s.connections_denied + s.dns_refused) + "\n";
    const auto name = [&](const std::string& n) {
      auto it = t.names.find(n);
      if (it == t.names.end()) return std::string("absent");
      std::string text = it->second.error;
      for (const auto& a : it->second.addresses) text += a.str();
      for (const auto& type : it->second.types) text += " " + type;
      return text + (it->second.pinned ? " pinned" : "");
    };
    out += "record_known=" + name("known.test") + "\n";
    out += "record_missing=" + name("nothere.test") + "\n";
    out += "record_pinned=" + name("pinned.test") + "\n";
    const auto g = std::to_string(greeter_port);
    const auto connection = [&](const std::string& key) {
      auto it = t.connections.find(key);
      if (it == t.connections.end()) return std::string("absent");
      std::string text = it->second.name + " " + std::to_string(it->second.count) + " " +
                         (it->second.host_loopback ? "loopback" : "remote") +
                         (it->second.failed ? " failed=" + std::to_string(it->second.failed) : "");
      for (const auto& a : it->second.resolved) text += " " + a.str();
      return text;
    };
    out += "conn_named=" + connection("known.test:" + g) + "\n";
    out += "conn_loopback=" + connection("127.0.0.1:" + g) + "\n";
    out += "conn_pinned=" + connection("pinned.test:" + g) + "\n";
    out += "conn_nothing=" + connection("127.0.0.1:" + std::to_string(closed_port)) + "\n";
    out += "connections=" + std::to_string(t.connections.size()) + "\n";
    out += "synthetic=" + std::to_string(t.synthetic.size()) + "\n";
    return 0;
  });
  ASSERT_EQ(run.status, 0) << run.output;
  auto v = run.values();
  EXPECT_EQ(v["client_status"], "0") << run.output;
  EXPECT_EQ(v["known"], "rcode=0 127.77.0.1") << "any name that resolves upstream gets a synthetic address";
  EXPECT_EQ(v["missing"], "rcode=3") << "a name that does not exist does not exist inside";
  EXPECT_EQ(v["named"], "ok hello") << "resolved by the gateway, relayed to 127.0.0.1 on the host";
  EXPECT_EQ(v["named_again_unannounced"], "ECONNREFUSED") << "the listener was closed once it was used";
  EXPECT_EQ(v["host_loopback"], "ok hello");
  EXPECT_EQ(v["own_server"], "ok mine") << "the command's own server keeps its connections";
  EXPECT_EQ(v["nothing_answers"], "refused at connect") << "connect() fails as it would without the audit";
  EXPECT_EQ(v["conn_nothing"], " 1 loopback failed=1") << "recorded as an attempt that never connected";
  EXPECT_EQ(v["pinned"], "ok hello");
  EXPECT_EQ(v["unannounced"], "ENETUNREACH");
  EXPECT_EQ(v["log_only"], "1");
  EXPECT_EQ(v["denied"], "0");
  EXPECT_EQ(v["record_known"], "127.0.0.1 A");
  EXPECT_EQ(v["record_missing"].rfind("Domain name not found", 0), 0u) << v["record_missing"];
  EXPECT_EQ(v["record_pinned"], "127.0.0.1 A pinned");
  EXPECT_EQ(v["conn_named"], "known.test 1 remote 127.0.0.1");
  EXPECT_EQ(v["conn_loopback"], " 1 loopback");
  EXPECT_EQ(v["conn_pinned"], "pinned.test 1 remote 127.0.0.1");
  EXPECT_EQ(v["connections"], "4") << run.output;
  EXPECT_EQ(v["synthetic"], "2");
}

}  // namespace
}  // namespace airlock::gateway
