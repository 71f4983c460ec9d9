// The egress policy as data: addresses, the matcher, synthetic addresses and
// the decisions the gateway takes for names and connections.
#include <gtest/gtest.h>

#include "gateway/address.hpp"
#include "gateway/decide.hpp"
#include "gateway/matcher.hpp"
#include "gateway/synthetic.hpp"
#include "policy/egress.hpp"
#include "util/error.hpp"

namespace airlock::gateway {
namespace {

policy::Network allowlist(const std::vector<std::string>& rules) {
  policy::Network network;
  network.mode = policy::NetworkMode::allowlist;
  for (const auto& text : rules) {
    std::string why;
    auto rule = policy::parse_egress_rule(text, why);
    EXPECT_TRUE(rule) << text << ": " << why;
    if (rule) network.allow.push_back(*rule);
  }
  return network;
}

IpAddress ip(const char* text) { return IpAddress::parse(text).value(); }

TEST(GatewayAddress, ParsesFormatsAndUnmaps) {
  EXPECT_EQ(ip("203.0.113.7").str(), "203.0.113.7");
  EXPECT_EQ(ip("2001:db8::1").str(), "2001:db8::1");
  EXPECT_FALSE(IpAddress::parse("example.org"));
  EXPECT_FALSE(IpAddress::parse("1.2.3"));
  EXPECT_EQ(ip("::ffff:203.0.113.7").unmapped(), ip("203.0.113.7"));
  EXPECT_EQ((SocketAddress{ip("2001:db8::1"), 443}).str(), "[2001:db8::1]:443");
  EXPECT_EQ((SocketAddress{ip("203.0.113.7"), 80}).str(), "203.0.113.7:80");
}

// network.hosts pins are parsed here: "10.0.0.5\0junk" (TOML "\u0000") used
// to pin 10.0.0.5, inet_pton having stopped at the NUL.
TEST(GatewayAddress, TextWithANulByteIsNotAnAddress) {
  using namespace std::string_literals;
  EXPECT_FALSE(IpAddress::parse("10.0.0.5\0junk"s));
  EXPECT_FALSE(IpAddress::parse("::1\0"s));
  policy::Network network;
  network.hosts["db.test"] = "10.0.0.5\0junk"s;
  EXPECT_THROW(Matcher{network}, Error);
}

TEST(GatewayAddress, SockaddrRoundTripUnmapsDualStackPeers) {
  socklen_t length = 0;
  const SocketAddress mapped{ip("::ffff:198.51.100.9"), 8080};
  const auto sa = mapped.to_sockaddr(length);
  EXPECT_EQ(length, sizeof(sockaddr_in6));
  const auto back = SocketAddress::from_sockaddr(sa);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->ip, ip("198.51.100.9"));
  EXPECT_EQ(back->port, 8080);
}

TEST(GatewayAddress, Prefixes) {
  EXPECT_TRUE(in_prefix(ip("10.200.0.1"), ip("10.0.0.0"), 8));
  EXPECT_FALSE(in_prefix(ip("11.0.0.1"), ip("10.0.0.0"), 8));
  EXPECT_TRUE(in_prefix(ip("172.31.255.255"), ip("172.16.0.0"), 12));
  EXPECT_FALSE(in_prefix(ip("172.32.0.0"), ip("172.16.0.0"), 12));
  EXPECT_TRUE(in_prefix(ip("2001:db8::5"), ip("2001:db8::"), 32));
  EXPECT_TRUE(in_prefix(ip("8.8.8.8"), ip("0.0.0.0"), 0));
  EXPECT_FALSE(in_prefix(ip("2001:db8::1"), ip("0.0.0.0"), 0)) << "families differ";
}

TEST(GatewayAddress, SpecialRangesForTheRebindingGuard) {
  for (const char* text : {"127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "100.64.0.1", "169.254.169.254",
                           "0.0.0.0", "224.0.0.1", "::1", "fe80::1", "fc00::1", "fd00:ec2::254", "::",
                           "::ffff:169.254.169.254", "64:ff9b::a9fe:a9fe", "2002:a9fe:a9fe::1"})
    EXPECT_TRUE(special_range(ip(text))) << text;
  for (const char* text : {"203.0.113.7", "8.8.8.8", "1.1.1.1", "2606:4700::1111", "64:ff9b::808:808"})
    EXPECT_FALSE(special_range(ip(text))) << text;
  EXPECT_EQ(*special_range(ip("169.254.169.254")), "link-local (cloud metadata)");
}

TEST(GatewayMatcher, NamesAreExactAndCaseInsensitive) {
  Matcher m(allowlist({"registry.example.org:443"}));
  EXPECT_TRUE(m.name_allowed("registry.example.org"));
  EXPECT_TRUE(m.name_allowed("Registry.Example.ORG."));
  EXPECT_FALSE(m.name_allowed("example.org"));
  EXPECT_FALSE(m.name_allowed("evil-registry.example.org"));
  EXPECT_FALSE(m.name_allowed("registry.example.org.evil.test"));
  EXPECT_TRUE(m.check_name("registry.example.org", 443).allowed);
  auto other_port = m.check_name("registry.example.org", 80);
  EXPECT_FALSE(other_port.allowed);
  EXPECT_EQ(other_port.reason, "port 80 is not allowed for registry.example.org");
  EXPECT_EQ(m.check_name("evil.test", 443).reason, "evil.test is not in network.allow");
}

TEST(GatewayMatcher, WildcardsCoverWholeLabelsBelowTheSuffix) {
  Matcher m(allowlist({"*.example.org:443"}));
  EXPECT_TRUE(m.name_allowed("a.example.org"));
  EXPECT_TRUE(m.name_allowed("a.b.example.org"));
  EXPECT_FALSE(m.name_allowed("example.org"));
  EXPECT_FALSE(m.name_allowed("badexample.org"));
  EXPECT_FALSE(m.name_allowed(".example.org"));
  EXPECT_FALSE(m.name_allowed("example.org.evil.test"));
}

TEST(GatewayMatcher, PortListsAndRanges) {
  Matcher m(allowlist({"host.test:80,8000-8010"}));
  EXPECT_TRUE(m.check_name("host.test", 80).allowed);
  EXPECT_TRUE(m.check_name("host.test", 8005).allowed);
  EXPECT_FALSE(m.check_name("host.test", 8011).allowed);
  EXPECT_FALSE(m.check_name("host.test", 443).allowed);
}

TEST(GatewayMatcher, AddressesAndCidrs) {
  Matcher m(allowlist({"203.0.113.7:80", "10.0.0.0/8:5432", "[2001:db8::/32]:443"}));
  const auto allowed = m.check_address(ip("203.0.113.7"), 80);
  EXPECT_TRUE(allowed.allowed);
  EXPECT_NE(allowed.reason.find("203.0.113.7:80"), std::string::npos) << allowed.reason;
  EXPECT_FALSE(m.check_address(ip("203.0.113.8"), 80).allowed);
  EXPECT_EQ(m.check_address(ip("203.0.113.7"), 81).reason, "port 81 is not allowed for 203.0.113.7");
  EXPECT_TRUE(m.check_address(ip("10.9.8.7"), 5432).allowed);
  EXPECT_TRUE(m.check_address(ip("::ffff:10.9.8.7"), 5432).allowed) << "a dual-stack listener sees v4-mapped";
  EXPECT_TRUE(m.check_address(ip("2001:db8:1::5"), 443).allowed);
  EXPECT_FALSE(m.check_address(ip("2001:db9::5"), 443).allowed);
  EXPECT_EQ(m.check_address(ip("192.0.2.1"), 80).reason, "no address or CIDR rule covers 192.0.2.1");
  EXPECT_FALSE(m.name_allowed("203.0.113.7")) << "address rules are not names";
}

TEST(GatewayMatcher, RebindingGuard) {
  Matcher m(allowlist({"api.test:443", "internal.test:443", "10.0.0.0/8:443"}));
  EXPECT_TRUE(m.check_resolved("api.test", ip("203.0.113.7"), 443).allowed);
  const auto metadata = m.check_resolved("api.test", ip("169.254.169.254"), 443);
  EXPECT_FALSE(metadata.allowed);
  EXPECT_NE(metadata.reason.find("link-local"), std::string::npos) << metadata.reason;
  EXPECT_FALSE(m.check_resolved("api.test", ip("127.0.0.1"), 443).allowed);
  EXPECT_FALSE(m.check_resolved("api.test", ip("192.168.0.10"), 443).allowed);
  EXPECT_FALSE(m.check_resolved("api.test", ip("fd00::1"), 443).allowed);
  EXPECT_FALSE(m.check_resolved("api.test", ip("::ffff:127.0.0.1"), 443).allowed);
  // A CIDR rule that names the private range lets a name resolve into it,
  // on the rule's ports only.
  EXPECT_TRUE(m.check_resolved("internal.test", ip("10.1.2.3"), 443).allowed);
  EXPECT_FALSE(m.check_resolved("internal.test", ip("10.1.2.3"), 80).allowed);
}

TEST(GatewayMatcher, HostPins) {
  auto network = allowlist({"db.internal:5432"});
  network.hosts = {{"DB.internal", "10.1.2.3"}, {"v6.internal", "2001:db8::9"}};
  Matcher m(network);
  EXPECT_EQ(m.pinned("db.internal"), ip("10.1.2.3"));
  EXPECT_EQ(m.pinned("v6.internal."), ip("2001:db8::9"));
  EXPECT_FALSE(m.pinned("other.internal"));
  network.hosts = {{"bad", "not-an-address"}};
  try {
    Matcher bad(network);
    FAIL() << "a pin that is not an address must be refused";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not-an-address"), std::string::npos);
  }
}

TEST(GatewaySynthetic, OneStableAddressPerName) {
  SyntheticAddresses s(ip("127.77.0.0"), 16);
  const auto a = s.address_for("a.test");
  const auto b = s.address_for("b.test");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->str(), "127.77.0.1");
  EXPECT_EQ(b->str(), "127.77.0.2");
  EXPECT_EQ(s.address_for("a.test"), a);
  EXPECT_EQ(*s.name_at(*b), "b.test");
  EXPECT_EQ(*s.name_at(ip("::ffff:127.77.0.1")), "a.test");
  EXPECT_EQ(s.name_at(ip("127.77.0.3")), nullptr);
  EXPECT_TRUE(s.contains(ip("127.77.200.1")));
  EXPECT_FALSE(s.contains(ip("127.78.0.1")));
  EXPECT_EQ(s.allocated(), 2u);
}

TEST(GatewaySynthetic, ExhaustionIsReported) {
  SyntheticAddresses s(ip("127.77.0.0"), 30);  // hosts .1 and .2; .3 stays unused
  EXPECT_TRUE(s.address_for("one"));
  EXPECT_TRUE(s.address_for("two"));
  EXPECT_FALSE(s.address_for("three"));
  EXPECT_TRUE(s.address_for("one")) << "known names keep their address";
  EXPECT_THROW(SyntheticAddresses(ip("2001:db8::"), 64), Error);
}

TEST(GatewayDecide, NamesForTheDnsStub) {
  auto network = allowlist({"api.test:443"});
  network.hosts = {{"pinned.test", "203.0.113.9"}};
  Matcher m(network);
  SyntheticAddresses s(ip("127.77.0.0"), 16);
  const auto allowed = answer_name(m, s, "API.test.");
  EXPECT_EQ(allowed.kind, NameAnswer::Kind::address);
  EXPECT_EQ(allowed.address.str(), "127.77.0.1");
  const auto pinned = answer_name(m, s, "pinned.test");
  EXPECT_EQ(pinned.kind, NameAnswer::Kind::address);
  EXPECT_EQ(pinned.address.str(), "203.0.113.9") << "pinned but not allowed: the real address";
  EXPECT_EQ(answer_name(m, s, "evil.test").kind, NameAnswer::Kind::denied);
  EXPECT_EQ(s.allocated(), 1u) << "a denied name takes no synthetic address";
}

class GatewayDecideConnection : public ::testing::Test {
 protected:
  static policy::Network network() {
    auto network = allowlist({"api.test:443", "pinned.test:80", "203.0.113.0/24:8080"});
    network.hosts = {{"pinned.test", "198.51.100.4"}};
    network.forward.push_back({"127.0.0.1", 5432, {}, "127.0.0.1:5432"});
    return network;
  }
  Decision decide(const char* address, std::uint16_t port) {
    return decide_connection(config_, matcher_, synthetic_, {ip(address), port});
  }
  policy::Network network_ = network();
  Config config_ = build(network_);
  Matcher matcher_{network_};
  SyntheticAddresses synthetic_{ip("127.77.0.0"), 16};
};

TEST_F(GatewayDecideConnection, SyntheticAddressesAreNames) {
  const auto address = synthetic_.address_for("api.test")->str();
  auto d = decide(address.c_str(), 443);
  EXPECT_EQ(d.action, Decision::Action::resolve);
  EXPECT_EQ(d.name, "api.test");
  EXPECT_EQ(d.destination, "api.test:443");
  EXPECT_FALSE(d.pinned);
  d = decide(address.c_str(), 8080);
  EXPECT_EQ(d.action, Decision::Action::deny);
  EXPECT_EQ(d.reason, "port 8080 is not allowed for api.test");
  d = decide("127.77.9.9", 443);
  EXPECT_EQ(d.action, Decision::Action::deny);
  EXPECT_NE(d.reason.find("no name was given"), std::string::npos);
}

TEST_F(GatewayDecideConnection, PinsSkipDns) {
  const auto address = synthetic_.address_for("pinned.test")->str();
  const auto d = decide(address.c_str(), 80);
  EXPECT_EQ(d.action, Decision::Action::resolve);
  EXPECT_EQ(d.pinned, ip("198.51.100.4"));
}

TEST_F(GatewayDecideConnection, LiteralsForwardsAndDns) {
  auto d = decide("203.0.113.50", 8080);
  EXPECT_EQ(d.action, Decision::Action::connect);
  EXPECT_EQ(d.target.str(), "203.0.113.50:8080");
  EXPECT_EQ(decide("203.0.113.50", 8081).action, Decision::Action::deny);
  d = decide("127.0.0.1", 5432);
  EXPECT_EQ(d.action, Decision::Action::forward);
  EXPECT_EQ(d.target.str(), "127.0.0.1:5432");
  EXPECT_EQ(decide("127.0.0.53", 53).action, Decision::Action::dns);
  d = decide("127.0.0.1", 443);
  EXPECT_EQ(d.action, Decision::Action::deny) << "the sandbox's loopback is not the host's";
}

TEST(GatewayDecide, ModeNoneReachesOnlyForwards) {
  policy::Network network;
  network.forward.push_back({"127.0.0.1", 5432, {}, "127.0.0.1:5432"});
  const auto config = build(network);
  Matcher m(network);
  SyntheticAddresses s(config.synthetic_network, config.synthetic_prefix);
  EXPECT_EQ(decide_connection(config, m, s, {ip("127.0.0.1"), 5432}).action, Decision::Action::forward);
  EXPECT_EQ(decide_connection(config, m, s, {ip("127.0.0.53"), 53}).action, Decision::Action::deny);
}

TEST(GatewayDecide, ScreeningResolvedAddresses) {
  Matcher m(allowlist({"api.test:443", "10.0.0.0/8:443"}));
  const auto screened =
      screen_resolved(m, "api.test", {ip("169.254.169.254"), ip("203.0.113.7"), ip("10.0.0.9"), ip("::1")}, 443);
  ASSERT_EQ(screened.usable.size(), 2u);
  EXPECT_EQ(screened.usable[0].str(), "203.0.113.7:443");
  EXPECT_EQ(screened.usable[1].str(), "10.0.0.9:443");
  EXPECT_EQ(screened.refused.size(), 2u);
  EXPECT_TRUE(screen_resolved(m, "api.test", {ip("127.0.0.1")}, 443).usable.empty());
}

}  // namespace
}  // namespace airlock::gateway
