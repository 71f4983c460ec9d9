// The gateway's log-only mode (audit) as data: its configuration, how the
// stub answers, where each connection goes, what the attempt watch records,
// and the bounded record itself.
#include <gtest/gtest.h>

#include "gateway/config.hpp"
#include "gateway/decide.hpp"
#include "gateway/dns.hpp"
#include "gateway/attempt_watch.hpp"
#include "gateway/log_only_record.hpp"
#include "policy/egress.hpp"
#include "util/error.hpp"

namespace airlock::gateway {
namespace {

IpAddress ip(const char* text) { return IpAddress::parse(text).value(); }

policy::Network base_network() {
  policy::Network network;
  network.mode = policy::NetworkMode::allowlist;
  std::string why;
  network.allow.push_back(*policy::parse_egress_rule("allowed.test:443", why));
  network.forward.push_back({"127.0.0.1", 5432, {}, "127.0.0.1:5432"});
  network.publish.push_back({"127.0.0.1", 18080, {}, "127.0.0.1:18080"});
  network.hosts = {{"pinned.test", "198.51.100.4"}};
  return network;
}

// An A query for `name`, as a resolver sends it.
std::vector<std::uint8_t> query_for(const std::string& name, std::uint16_t qclass = 1) {
  std::vector<std::uint8_t> q = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
  std::size_t start = 0;
  while (start < name.size()) {
    const auto dot = std::min(name.find('.', start), name.size());
    q.push_back(static_cast<std::uint8_t>(dot - start));
    q.insert(q.end(), name.begin() + static_cast<std::ptrdiff_t>(start), name.begin() + static_cast<std::ptrdiff_t>(dot));
    start = dot + 1;
  }
  q.insert(q.end(), {0, 0, 1, static_cast<std::uint8_t>(qclass >> 8), static_cast<std::uint8_t>(qclass & 0xff)});
  return q;
}

TEST(GatewayLogOnlyConfig, StubAndAttemptWatchOnlyEverythingElseOnDemand) {
  const auto c = build_log_only(base_network());
  EXPECT_TRUE(c.log_only);
  EXPECT_TRUE(c.dns_stub);
  ASSERT_EQ(c.listeners.size(), 3u) << "no listener per allowed port and none for forward entries";
  EXPECT_EQ(c.listeners[0].transport, Transport::udp);
  EXPECT_EQ(c.listeners[0].address.str(), "127.0.0.53:53");
  EXPECT_EQ(c.listeners[1].transport, Transport::tcp);
  EXPECT_FALSE(c.listeners[1].any_address);
  EXPECT_EQ(c.listeners[2].transport, Transport::packet);
  EXPECT_TRUE(c.routes.empty());
  EXPECT_TRUE(c.forward.empty());
  ASSERT_EQ(c.publish.size(), 1u) << "the base's publish entries still reach the command's servers";
  EXPECT_EQ(c.publish[0].inside.str(), "127.0.0.1:18080");
  EXPECT_NE(c.resolv_conf.find("nameserver 127.0.0.53\n"), std::string::npos);
  EXPECT_NE(describe(c).find("log-only"), std::string::npos) << describe(c);
  auto bad = base_network();
  bad.hosts["x.test"] = "not-an-address";
  EXPECT_THROW(build_log_only(bad), Error);
}

TEST(GatewayLogOnlyDecide, EveryNameThatResolvesGetsASyntheticAddress) {
  Matcher m(base_network());
  SyntheticAddresses s(ip("127.77.0.0"), 16);
  Resolution resolved;
  resolved.addresses = {ip("203.0.113.5")};
  const auto other = answer_name_logged(m, s, "Other.Test.", resolved);
  EXPECT_EQ(other.kind, NameAnswer::Kind::address) << "not in the base's allow list, answered all the same";
  EXPECT_EQ(other.address.str(), "127.77.0.1");
  EXPECT_EQ(*s.name_at(other.address), "other.test");
  EXPECT_EQ(answer_name_logged(m, s, "other.test", resolved).address, other.address) << "stable";

  Resolution missing;
  missing.error = "Domain name not found";
  missing.not_found = true;
  const auto nx = answer_name_logged(m, s, "nothere.test", missing);
  EXPECT_EQ(nx.kind, NameAnswer::Kind::denied) << "NXDOMAIN upstream is NXDOMAIN inside";
  EXPECT_NE(nx.detail.find("Domain name not found"), std::string::npos);
  Resolution timeout;
  timeout.error = "Timeout while contacting DNS servers";
  EXPECT_EQ(answer_name_logged(m, s, "slow.test", timeout).kind, NameAnswer::Kind::failed);

  const auto pinned = answer_name_logged(m, s, "pinned.test", Resolution{});
  EXPECT_EQ(pinned.kind, NameAnswer::Kind::address) << "a pin needs no upstream";
  EXPECT_TRUE(s.contains(pinned.address));
  EXPECT_EQ(s.allocated(), 2u) << "names that did not resolve take no address";
}

TEST(GatewayLogOnlyDecide, EveryConnectionGoesWhereItWasHeaded) {
  const auto network = base_network();
  const auto config = build_log_only(network);
  Matcher m(network);
  SyntheticAddresses s(config.synthetic_network, config.synthetic_prefix);
  const auto other = s.address_for("other.test").value();
  const auto pinned = s.address_for("pinned.test").value();

  auto d = decide_logged(config, m, s, {other, 8443});
  EXPECT_EQ(d.action, Decision::Action::resolve) << "any name, any port";
  EXPECT_EQ(d.name, "other.test");
  EXPECT_EQ(d.destination, "other.test:8443");
  EXPECT_FALSE(d.pinned);
  d = decide_logged(config, m, s, {pinned, 80});
  EXPECT_EQ(d.pinned, ip("198.51.100.4"));
  d = decide_logged(config, m, s, {ip("203.0.113.9"), 22});
  EXPECT_EQ(d.action, Decision::Action::connect) << "any address";
  EXPECT_EQ(d.target.str(), "203.0.113.9:22");
  d = decide_logged(config, m, s, {ip("169.254.169.254"), 80});
  EXPECT_EQ(d.action, Decision::Action::connect) << "no rebinding or range refusal: the audit records it instead";
  d = decide_logged(config, m, s, {ip("127.0.0.1"), 6379});
  EXPECT_EQ(d.action, Decision::Action::forward) << "any host loopback service";
  EXPECT_EQ(d.target.str(), "127.0.0.1:6379");
  EXPECT_EQ(decide_logged(config, m, s, {ip("127.0.0.53"), 53}).action, Decision::Action::dns);
  d = decide_logged(config, m, s, {ip("127.77.5.5"), 443});
  EXPECT_EQ(d.action, Decision::Action::deny) << "a synthetic address never given leads nowhere";
}

TEST(GatewayLogOnlyDns, TheQuestionIsReadBeforeItIsAnswered) {
  EXPECT_EQ(dns::question_name(query_for("Registry.Example.ORG")), "registry.example.org");
  EXPECT_FALSE(dns::question_name(query_for("a.test", 3))) << "class CH";
  auto response = query_for("a.test");
  response[2] |= 0x80;
  EXPECT_FALSE(dns::question_name(response));
  EXPECT_FALSE(dns::question_name(std::vector<std::uint8_t>{1, 2, 3}));
}

TEST(GatewayLogOnlyDns, UnresolvedIsServfailNotNxdomain) {
  const auto q = query_for("slow.test");
  const auto failed = dns::answer(q, [](std::string_view) {
    return NameAnswer{NameAnswer::Kind::failed, {}, "cannot be resolved: timeout"};
  });
  EXPECT_EQ(failed.result, dns::Outcome::Result::failed);
  ASSERT_GE(failed.response.size(), 4u);
  EXPECT_EQ(failed.response[3] & 0x0f, 2) << "SERVFAIL: a resolver may retry";
}

TEST(GatewayLogOnlyAttemptWatch, RecordsOnlyWhatNoListenerTook) {
  const auto config = build_log_only(base_network());
  SyntheticAddresses s(config.synthetic_network, config.synthetic_prefix);
  const auto named = s.address_for("quic.test").value();
  const std::set<SocketAddress> expected = {{ip("203.0.113.9"), 443}};
  auto seen = [&](Transport t, const IpAddress& a, std::uint16_t port) {
    return unrelayed_attempt(config, s, expected, SeenAttempt{t, {a, port}});
  };
  EXPECT_EQ(seen(Transport::udp, named, 443), "udp quic.test:443");
  EXPECT_EQ(seen(Transport::udp, ip("203.0.113.9"), 443), "udp 203.0.113.9:443");
  EXPECT_EQ(seen(Transport::tcp, ip("203.0.113.9"), 443), std::nullopt) << "announced: its listener took it";
  EXPECT_EQ(seen(Transport::tcp, ip("203.0.113.9"), 8443), "tcp 203.0.113.9:8443");
  EXPECT_EQ(seen(Transport::tcp, named, 443), "tcp quic.test:443");
  EXPECT_EQ(seen(Transport::udp, ip("127.0.0.53"), 53), std::nullopt);
  EXPECT_EQ(seen(Transport::tcp, ip("127.0.0.1"), 8080), std::nullopt) << "the sandbox's own loopback";
}

TEST(GatewayLogOnlyRecord, RecordsAreBounded) {
  LogOnlyRecord t;
  for (std::size_t i = 0; i < LogOnlyRecord::kMaxRecords; ++i) ASSERT_NE(t.name("n" + std::to_string(i) + ".test"), nullptr);
  EXPECT_NE(t.name("n0.test"), nullptr) << "a known name is still found";
  EXPECT_EQ(t.name("one-too-many.test"), nullptr);
  EXPECT_EQ(t.unlisted, 1u);
  t.not_relayed("udp a:1");
  t.not_relayed("udp a:1");
  EXPECT_EQ(t.unrelayed.size(), 1u);
}

}  // namespace
}  // namespace airlock::gateway
