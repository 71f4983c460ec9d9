// init's part of the gateway, in fresh namespaces as init has them (run as
// root and as uid 65534): local routes by netlink, listeners handed over the
// channel, sockets made on request, and the attempt watch's packet filter.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "gateway/channel.hpp"
#include "gateway/inside.hpp"
#include "gateway/attempt_watch.hpp"
#include "policy/egress.hpp"
#include "sandbox/namespace_harness.hpp"
#include "sandbox/namespaces.hpp"

namespace airlock::gateway {
namespace {

using airlock::testing::errno_name;
using airlock::testing::run_in_new_namespaces;

IpAddress ip(const char* text) { return IpAddress::parse(text).value(); }

// Connects to `to`; returns "ok <address the listener saw as its own>" or an errno name.
std::string connect_and_accept(int listener, const SocketAddress& to) {
  UniqueFd client(::socket(to.ip.family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  socklen_t length = 0;
  const auto sa = to.to_sockaddr(length);
  if (::connect(client.get(), reinterpret_cast<const sockaddr*>(&sa), length) != 0) return errno_name(errno);
  UniqueFd accepted;
  for (int i = 0; i < 100 && !accepted; ++i) {
    accepted.reset(::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC));
    if (!accepted) ::usleep(1000);
  }
  if (!accepted) return "not accepted";
  sockaddr_storage local{};
  socklen_t local_length = sizeof local;
  ::getsockname(accepted.get(), reinterpret_cast<sockaddr*>(&local), &local_length);
  return "ok " + SocketAddress::from_sockaddr(local)->str();
}

TEST(GatewayInside, LocalRoutesLeadAPlainConnectToTheListener) {
  const auto run = run_in_new_namespaces([](std::string& out) {
    namespaces::bring_up_loopback();
    add_local_routes({{ip("203.0.113.0"), 24, "203.0.113.0/24:8080"}, {ip("2001:db8::"), 32, "[2001:db8::/32]:8080"}});
    auto listener = open_listener({Transport::tcp, {{}, 8080}, true, "allowed port 8080"});
    out += "v4=" + connect_and_accept(listener.get(), {ip("203.0.113.77"), 8080}) + "\n";
    out += "v6=" + connect_and_accept(listener.get(), {ip("2001:db8::5"), 8080}) + "\n";
    out += "other=" + connect_and_accept(listener.get(), {ip("198.51.100.1"), 8080}) + "\n";
    out += "other_port=" + connect_and_accept(listener.get(), {ip("203.0.113.77"), 8081}) + "\n";
    return 0;
  });
  ASSERT_EQ(run.status, 0) << run.output;
  auto v = run.values();
  EXPECT_EQ(v["v4"], "ok 203.0.113.77:8080");
  EXPECT_EQ(v["v6"], "ok [2001:db8::5]:8080");
  EXPECT_EQ(v["other"], "ENETUNREACH");
  EXPECT_EQ(v["other_port"], "ECONNREFUSED");
}

TEST(GatewayInside, ListenersAreHandedOverInConfigOrder) {
  const auto run = run_in_new_namespaces([](std::string& out) {
    namespaces::bring_up_loopback();
    policy::Network network;
    network.mode = policy::NetworkMode::allowlist;
    std::string why;
    network.allow.push_back(*policy::parse_egress_rule("api.test:443,80", why));
    network.forward.push_back(*policy::parse_endpoint("127.0.0.1:5432", why));
    const auto config = build(network);
    auto [inside, outside] = channel::make_pair();
    set_up_inside(config, inside.get());
    std::vector<UniqueFd> fds;
    std::size_t messages = 0;
    while (true) {
      auto message = channel::receive(outside.get(), fds);
      ++messages;
      if (!message || message->kind == channel::Kind::listeners_done) break;
    }
    out += "listeners=" + std::to_string(config.listeners.size()) + "\n";
    out += "fds=" + std::to_string(fds.size()) + "\n";
    for (std::size_t i = 0; i < fds.size() && i < config.listeners.size(); ++i) {
      sockaddr_storage local{};
      socklen_t length = sizeof local;
      if (config.listeners[i].transport == Transport::packet) {
        int type = 0;
        socklen_t type_length = sizeof type;
        ::getsockopt(fds[i].get(), SOL_SOCKET, SO_DOMAIN, &type, &type_length);
        out += "fd" + std::to_string(i) + "=" + (type == AF_PACKET ? "packet" : "?") + "\n";
        continue;
      }
      ::getsockname(fds[i].get(), reinterpret_cast<sockaddr*>(&local), &length);
      out += "fd" + std::to_string(i) + "=" + SocketAddress::from_sockaddr(local)->str() + "\n";
    }
    return 0;
  });
  ASSERT_EQ(run.status, 0) << run.output;
  auto v = run.values();
  EXPECT_EQ(v["listeners"], "6");
  EXPECT_EQ(v["fds"], "6");
  EXPECT_EQ(v["fd0"], "[::]:80");
  EXPECT_EQ(v["fd1"], "[::]:443");
  EXPECT_EQ(v["fd2"], "127.0.0.53:53");  // UDP
  EXPECT_EQ(v["fd3"], "127.0.0.53:53");  // TCP
  EXPECT_EQ(v["fd4"], "packet");
  EXPECT_EQ(v["fd5"], "127.0.0.1:5432");
}

TEST(GatewayChannel, SocketsOnRequestAndEndOfStream) {
  auto [inside, outside] = channel::make_pair();
  channel::send(outside.get(), {channel::Kind::socket_request, AF_INET6});
  ASSERT_TRUE(serve_request(inside.get()));
  std::vector<UniqueFd> fds;
  const auto reply = channel::receive(outside.get(), fds);
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->kind, channel::Kind::socket_reply);
  EXPECT_EQ(reply->value, 0);
  ASSERT_EQ(fds.size(), 1u);
  int domain = 0, type = 0;
  socklen_t length = sizeof domain;
  ASSERT_EQ(::getsockopt(fds[0].get(), SOL_SOCKET, SO_DOMAIN, &domain, &length), 0);
  length = sizeof type;
  ASSERT_EQ(::getsockopt(fds[0].get(), SOL_SOCKET, SO_TYPE, &type, &length), 0);
  EXPECT_EQ(domain, AF_INET6);
  EXPECT_EQ(type, SOCK_STREAM);
  outside.reset();
  EXPECT_FALSE(serve_request(inside.get())) << "the supervisor is gone";
}

TEST(GatewayInside, ListenersOnDemandCatchExactlyTheirDestination) {
  const auto run = run_in_new_namespaces([](std::string& out) {
    namespaces::bring_up_loopback();
    auto caught = [&](const char* name, const SocketAddress& at, const SocketAddress& to) {
      UniqueFd listener;
      const int err = open_catcher(at, listener);
      out += std::string(name) + "=" + (err != 0 ? errno_name(err) : connect_and_accept(listener.get(), to)) + "\n";
    };
    caught("remote", {ip("203.0.113.9"), 443}, {ip("203.0.113.9"), 443});
    caught("other_port", {ip("203.0.113.10"), 443}, {ip("203.0.113.10"), 8443});
    caught("synthetic", {ip("127.77.0.1"), 80}, {ip("127.77.0.1"), 80});
    caught("v6", {ip("2001:db8::7"), 443}, {ip("2001:db8::7"), 443});
    // The command's own server has the port: the connection is its.
    auto own = open_listener({Transport::tcp, {{}, 3000}, true, "the command's server"});
    UniqueFd none;
    out += "own_server=" + errno_name(open_catcher({ip("127.0.0.1"), 3000}, none)) + "\n";
    // Over the channel, as the supervisor asks for it.
    auto [inside, outside] = channel::make_pair();
    channel::Message request{channel::Kind::listen_request, AF_INET};
    request.address = ip("198.51.100.4").bytes;
    request.port = 22;
    channel::send(outside.get(), request);
    serve_request(inside.get());
    std::vector<UniqueFd> fds;
    const auto reply = channel::receive(outside.get(), fds);
    out += "reply=" + std::to_string(reply && reply->kind == channel::Kind::listen_reply ? reply->value : -1) + " " +
           std::to_string(fds.size()) + " " + std::to_string(reply ? reply->port : 0) + "\n";
    if (!fds.empty()) out += "over_channel=" + connect_and_accept(fds[0].get(), {ip("198.51.100.4"), 22}) + "\n";
    return 0;
  });
  ASSERT_EQ(run.status, 0) << run.output;
  auto v = run.values();
  EXPECT_EQ(v["remote"], "ok 203.0.113.9:443");
  EXPECT_EQ(v["other_port"], "ECONNREFUSED");
  EXPECT_EQ(v["synthetic"], "ok 127.77.0.1:80");
  EXPECT_TRUE(v["v6"] == "ok [2001:db8::7]:443" || v["v6"] == "EAFNOSUPPORT") << v["v6"];
  EXPECT_EQ(v["own_server"], "EADDRINUSE");
  EXPECT_EQ(v["reply"], "0 1 22") << "the reply echoes the address it is for";
  EXPECT_EQ(v["over_channel"], "ok 198.51.100.4:22");
}

TEST(GatewayChannel, ManyDescriptorsInBatches) {
  auto [a, b] = channel::make_pair();
  std::vector<UniqueFd> sent;
  std::vector<int> raw;
  for (std::size_t i = 0; i < channel::kMaxFdsPerMessage; ++i) {
    sent.emplace_back(::dup(1));
    raw.push_back(sent.back().get());
  }
  channel::send(a.get(), {channel::Kind::listeners, 7}, raw);
  std::vector<UniqueFd> got;
  const auto message = channel::receive(b.get(), got);
  ASSERT_TRUE(message);
  EXPECT_EQ(message->value, 7);
  EXPECT_EQ(got.size(), channel::kMaxFdsPerMessage);
  std::vector<int> too_many(channel::kMaxFdsPerMessage + 1, 1);
  EXPECT_THROW(channel::send(a.get(), {channel::Kind::listeners, 0}, too_many), Error);
}

// ---- the attempt watch

std::vector<std::uint8_t> ipv4_packet(std::uint8_t protocol, std::uint8_t flags, std::uint16_t port) {
  std::vector<std::uint8_t> p(40, 0);
  p[0] = 0x45;
  p[9] = protocol;
  p[16] = 203; p[17] = 0; p[18] = 113; p[19] = 7;
  p[22] = static_cast<std::uint8_t>(port >> 8);
  p[23] = static_cast<std::uint8_t>(port);
  p[33] = flags;
  return p;
}

TEST(GatewayAttemptWatch, ParsesSynsAndDatagramsOnly) {
  auto syn = parse_packet(ipv4_packet(6, 0x02, 443));
  ASSERT_TRUE(syn);
  EXPECT_EQ(syn->transport, Transport::tcp);
  EXPECT_EQ(syn->destination.str(), "203.0.113.7:443");
  EXPECT_FALSE(parse_packet(ipv4_packet(6, 0x12, 443))) << "SYN-ACK";
  EXPECT_FALSE(parse_packet(ipv4_packet(6, 0x10, 443))) << "ACK";
  auto udp = parse_packet(ipv4_packet(17, 0, 5353));
  ASSERT_TRUE(udp);
  EXPECT_EQ(udp->transport, Transport::udp);
  EXPECT_FALSE(parse_packet(ipv4_packet(1, 0, 0))) << "ICMP";
  auto shortened = ipv4_packet(6, 0x02, 443);
  shortened.resize(30);
  EXPECT_FALSE(parse_packet(shortened));
  std::vector<std::uint8_t> v6(60, 0);
  v6[0] = 0x60;
  v6[6] = 6;
  const auto dst = ip("2001:db8::9");
  std::copy(dst.bytes.begin(), dst.bytes.end(), v6.begin() + 24);
  v6[42] = 0x01;
  v6[43] = 0xbb;
  v6[53] = 0x02;
  auto syn6 = parse_packet(v6);
  ASSERT_TRUE(syn6);
  EXPECT_EQ(syn6->destination.str(), "[2001:db8::9]:443");
  EXPECT_FALSE(parse_packet(std::vector<std::uint8_t>{0x45}));
}

TEST(GatewayAttemptWatch, DecidesOnlyWhatNobodyElseSees) {
  policy::Network network;
  network.mode = policy::NetworkMode::allowlist;
  std::string why;
  network.allow.push_back(*policy::parse_egress_rule("api.test:443", why));
  network.allow.push_back(*policy::parse_egress_rule("203.0.113.0/24:443", why));
  const auto config = build(network);
  Matcher matcher(network);
  SyntheticAddresses synthetic(config.synthetic_network, config.synthetic_prefix);
  const auto api = *synthetic.address_for("api.test");
  auto seen = [&](Transport t, IpAddress to, std::uint16_t port) {
    return decide_attempt(config, matcher, synthetic, {t, {to, port}});
  };
  EXPECT_FALSE(seen(Transport::tcp, api, 443)) << "a listener accepts it";
  EXPECT_FALSE(seen(Transport::tcp, ip("127.0.0.1"), 3000)) << "the sandbox's own loopback";
  EXPECT_FALSE(seen(Transport::udp, ip("127.0.0.53"), 53)) << "a DNS query";
  const auto port = seen(Transport::tcp, api, 8080);
  ASSERT_TRUE(port);
  EXPECT_EQ(port->destination, "api.test:8080");
  EXPECT_EQ(port->reason, "port 8080 is not allowed for api.test");
  const auto address = seen(Transport::tcp, ip("203.0.113.9"), 22);
  ASSERT_TRUE(address);
  EXPECT_EQ(address->reason, "port 22 is not allowed for 203.0.113.9");
  const auto udp = seen(Transport::udp, ip("203.0.113.9"), 443);
  ASSERT_TRUE(udp);
  EXPECT_EQ(udp->destination, "udp 203.0.113.9:443");
}

TEST(GatewayAttemptWatch, TheFilterPassesSynsAndDatagramsOnly) {
  const auto run = run_in_new_namespaces([](std::string& out) {
    namespaces::bring_up_loopback();
    auto watch = open_attempt_watch();
    // A refused connection (its SYN), an established one with data (its
    // SYN, nothing more), one UDP datagram.
    UniqueFd refused(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    const SocketAddress closed{ip("127.0.0.1"), 9};
    socklen_t length = 0;
    auto sa = closed.to_sockaddr(length);
    out += std::string("refused=") + (::connect(refused.get(), reinterpret_cast<const sockaddr*>(&sa), length) == 0 ? "no" : errno_name(errno)) + "\n";
    auto listener = open_listener({Transport::tcp, {{}, 7000}, true, "test"});
    out += "established=" + connect_and_accept(listener.get(), {ip("127.0.0.1"), 7000}) + "\n";
    UniqueFd udp(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    const SocketAddress sink{ip("127.0.0.1"), 9999};
    sa = sink.to_sockaddr(length);
    ::sendto(udp.get(), "x", 1, 0, reinterpret_cast<const sockaddr*>(&sa), length);
    ::usleep(50 * 1000);
    std::string seen;
    while (true) {
      std::uint8_t packet[128];
      const ssize_t n = ::recv(watch.get(), packet, sizeof packet, MSG_TRUNC);
      if (n < 0) break;
      auto p = parse_packet({packet, std::min<std::size_t>(sizeof packet, static_cast<std::size_t>(n))});
      seen += (p ? (p->transport == Transport::tcp ? "syn:" : "udp:") + p->destination.str() : "other") + " ";
    }
    out += "seen=" + seen + "\n";
    return 0;
  });
  ASSERT_EQ(run.status, 0) << run.output;
  auto v = run.values();
  EXPECT_EQ(v["refused"], "ECONNREFUSED");
  EXPECT_EQ(v["established"], "ok 127.0.0.1:7000");
  EXPECT_EQ(v["seen"], "syn:127.0.0.1:9 syn:127.0.0.1:7000 udp:127.0.0.1:9999 ");
}

}  // namespace
}  // namespace airlock::gateway
