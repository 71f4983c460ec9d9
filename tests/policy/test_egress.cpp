#include <gtest/gtest.h>
#include <sys/socket.h>

#include "policy/egress.hpp"

using namespace airlock::policy;

namespace {
EgressRule ok(const std::string& text) {
  std::string why;
  auto rule = parse_egress_rule(text, why);
  EXPECT_TRUE(rule) << text << ": " << why;
  return rule.value_or(EgressRule{});
}
std::string bad(const std::string& text) {
  std::string why;
  EXPECT_FALSE(parse_egress_rule(text, why)) << text;
  return why;
}
}  // namespace

TEST(PolicyEgress, NamesWildcardsAddressesCidrs) {
  auto name = ok("Registry.Example.org:443");
  EXPECT_EQ(name.kind, EgressRule::Kind::name);
  EXPECT_EQ(name.host, "registry.example.org");
  auto wild = ok("*.example.org:443");
  EXPECT_EQ(wild.kind, EgressRule::Kind::wildcard);
  EXPECT_EQ(wild.host, "example.org");
  auto v4 = ok("203.0.113.7:80");
  EXPECT_EQ(v4.kind, EgressRule::Kind::address);
  EXPECT_EQ(v4.family, AF_INET);
  EXPECT_EQ(v4.prefix, 32u);
  auto v6 = ok("[2001:db8::1]:443");
  EXPECT_EQ(v6.family, AF_INET6);
  auto cidr = ok("10.0.0.0/8:5432");
  EXPECT_EQ(cidr.kind, EgressRule::Kind::cidr);
  EXPECT_EQ(cidr.prefix, 8u);
  auto cidr6 = ok("[fd00::/8]:53");
  EXPECT_EQ(cidr6.family, AF_INET6);
}

TEST(PolicyEgress, PortListsAndRanges) {
  auto r = ok("host:443,8443,8000-8010");
  ASSERT_EQ(r.ports.size(), 3u);
  EXPECT_TRUE(r.ports[2].contains(8005));
  EXPECT_FALSE(r.ports[2].contains(8011));
  EXPECT_EQ(r.ports[1].first, 8443);
}

TEST(PolicyEgress, BadPortsAreRefused) {
  for (const char* text : {"host:0", "host:65536", "host:", "host:http", "host:10-5", "host:443,", "host"})
    EXPECT_FALSE(bad(text).empty()) << text;
  EXPECT_NE(bad("host:70000").find("1-65535"), std::string::npos);
}

TEST(PolicyEgress, BadCidrsAreRefused) {
  EXPECT_NE(bad("10.0.0.0/33:80").find("prefix"), std::string::npos);
  EXPECT_NE(bad("10.0.0.1/8:80").find("beyond"), std::string::npos);
  EXPECT_NE(bad("10.0.0/8:80").find("CIDR"), std::string::npos);
  EXPECT_NE(bad("[fd00::/129]:80").find("prefix"), std::string::npos);
  EXPECT_NE(bad("2001:db8::1:443").find("brackets"), std::string::npos);
  EXPECT_NE(bad("bad_host!:443").find("bad host"), std::string::npos);
}

TEST(PolicyEgress, EndpointsAreLiteralAddresses) {
  std::string why;
  auto e = parse_endpoint("127.0.0.1:5432", why);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->port, 5432);
  EXPECT_TRUE(parse_endpoint("[::1]:8080", why));
  EXPECT_FALSE(parse_endpoint("localhost:5432", why));
  EXPECT_NE(why.find("literal IP"), std::string::npos);
  EXPECT_FALSE(parse_endpoint("127.0.0.1:1-5", why));
}

// Found by the egress fuzz target (tests/fuzz/corpus/egress/seed-13.txt
// broke its "a rule allows its own address" check): the gateway unmaps
// ::ffff:a.b.c.d to a.b.c.d before matching, so a rule in the mapped form was
// accepted and then never matched anything.
TEST(PolicyEgress, Ipv4MappedAddressesAreRefusedWithTheIpv4Form) {
  EXPECT_EQ(bad("[::ffff:10.0.0.1]:443"),
            "\"::ffff:10.0.0.1\" is an IPv4-mapped IPv6 address, which the gateway sees as IPv4: write \"10.0.0.1:443\"");
  EXPECT_NE(bad("[::ffff:10.0.0.0/104]:5432").find("write \"10.0.0.0/8:5432\""), std::string::npos);
  EXPECT_NE(bad("[::ffff:0:0/96]:443").find("write \"0.0.0.0/0:443\""), std::string::npos);
  std::string why;
  EXPECT_FALSE(parse_endpoint("[::ffff:127.0.0.1]:5432", why));
  EXPECT_NE(why.find("write \"127.0.0.1:5432\""), std::string::npos) << why;
  // IPv6 ranges that merely contain the mapped block, and addresses that
  // only look alike, are ordinary IPv6.
  EXPECT_EQ(ok("[::/0]:443").prefix, 0u);
  EXPECT_EQ(ok("[::/80]:443").prefix, 80u);
  EXPECT_EQ(ok("[::fffe:10.0.0.1]:443").family, AF_INET6);
  EXPECT_TRUE(parse_endpoint("[::1]:5432", why)) << why;
}

// Found by the egress fuzz target (tests/fuzz/corpus/egress/found-nul-in-address):
// inet_pton stopped at an embedded NUL (a TOML string may hold "\u0000"), so
// "1.2.3.4\0.evil.example:443" was accepted as an address rule for 1.2.3.4.
TEST(PolicyEgress, AddressesWithANulByteAreRefused) {
  using namespace std::string_literals;
  EXPECT_NE(bad("1.2.3.4\0.evil.example:443"s).find("bad host"), std::string::npos);
  EXPECT_NE(bad("[::1\0junk]:443"s).find("bad host"), std::string::npos);
  EXPECT_NE(bad("10.0.0.0\0/8:443"s).find("bad CIDR"), std::string::npos);
  EXPECT_FALSE(is_ip_literal("127.0.0.1\0"s));
  std::string why;
  EXPECT_FALSE(parse_endpoint("127.0.0.1\0x:5432"s, why));
  EXPECT_TRUE(is_ip_literal("127.0.0.1"));
}
