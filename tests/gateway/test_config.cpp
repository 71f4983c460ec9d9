// The gateway as data: listeners, routes, resolv.conf, publish targets.
#include <gtest/gtest.h>

#include <algorithm>

#include "gateway/config.hpp"
#include "policy/egress.hpp"
#include "util/error.hpp"

namespace airlock::gateway {
namespace {

policy::Network network_with(policy::NetworkMode mode, const std::vector<std::string>& rules) {
  policy::Network network;
  network.mode = mode;
  for (const auto& text : rules) {
    std::string why;
    auto rule = policy::parse_egress_rule(text, why);
    EXPECT_TRUE(rule) << why;
    if (rule) network.allow.push_back(*rule);
  }
  return network;
}

policy::Endpoint endpoint(const std::string& text) {
  std::string why;
  auto e = policy::parse_endpoint(text, why);
  EXPECT_TRUE(e) << why;
  return e.value_or(policy::Endpoint{});
}

std::vector<std::string> purposes(const Config& c) {
  std::vector<std::string> out;
  for (const auto& l : c.listeners) out.push_back(l.purpose);
  return out;
}

TEST(GatewayConfig, NeededForAllowlistAndForEndpoints) {
  policy::Network network;
  EXPECT_FALSE(needed(network));
  network.forward.push_back(endpoint("127.0.0.1:5432"));
  EXPECT_TRUE(needed(network));
  network.mode = policy::NetworkMode::host;
  EXPECT_FALSE(needed(network)) << "the host network needs no gateway";
  EXPECT_TRUE(needed(network_with(policy::NetworkMode::allowlist, {})));
}

TEST(GatewayConfig, OneListenerPerDistinctPortThenDnsAndAttemptWatch) {
  const auto c = build(network_with(policy::NetworkMode::allowlist,
                                    {"a.test:443", "b.test:443,80", "10.0.0.0/8:8000-8002"}));
  EXPECT_EQ(purposes(c), (std::vector<std::string>{"allowed port 80", "allowed port 443", "allowed port 8000",
                                                   "allowed port 8001", "allowed port 8002", "DNS stub",
                                                   "DNS stub (TCP)", "observer of refused attempts"}));
  EXPECT_TRUE(c.listeners[0].any_address);
  EXPECT_EQ(c.listeners[5].transport, Transport::udp);
  EXPECT_EQ(c.listeners[5].address.str(), "127.0.0.53:53");
  EXPECT_EQ(c.listeners[7].transport, Transport::packet);
  EXPECT_TRUE(c.dns_stub);
  EXPECT_NE(c.resolv_conf.find("nameserver 127.0.0.53\n"), std::string::npos);
}

TEST(GatewayConfig, AnAllowedPortServesSpecificAddressesOnIt) {
  auto network = network_with(policy::NetworkMode::allowlist, {"10.0.0.0/8:53", "10.0.0.0/8:5432"});
  network.forward.push_back(endpoint("127.0.0.1:5432"));
  network.forward.push_back(endpoint("127.0.0.1:6379"));
  network.forward.push_back(endpoint("127.0.0.1:6379"));
  const auto c = build(network);
  EXPECT_EQ(purposes(c), (std::vector<std::string>{"allowed port 53", "allowed port 5432", "DNS stub",
                                                   "observer of refused attempts", "forward 127.0.0.1:6379"}));
  EXPECT_EQ(c.forward.size(), 2u) << "duplicates collapse";
}

TEST(GatewayConfig, RoutesForAddressesAndCidrsButNotLoopback) {
  const auto c = build(network_with(policy::NetworkMode::allowlist,
                                    {"203.0.113.7:80", "203.0.113.7:443", "198.51.100.0/24:80", "[2001:db8::/32]:443",
                                     "127.0.0.1:8080", "[::1]:8080", "name.test:80"}));
  ASSERT_EQ(c.routes.size(), 3u);
  EXPECT_EQ(c.routes[0].network.str(), "203.0.113.7");
  EXPECT_EQ(c.routes[0].prefix, 32u);
  EXPECT_EQ(c.routes[1].network.str(), "198.51.100.0");
  EXPECT_EQ(c.routes[1].prefix, 24u);
  EXPECT_EQ(c.routes[2].network.str(), "2001:db8::");
  EXPECT_EQ(c.routes[2].rule, "[2001:db8::/32]:443");
}

TEST(GatewayConfig, ModeNoneWithEndpointsHasNoStub) {
  policy::Network network;
  network.forward.push_back(endpoint("[::1]:5432"));
  network.publish.push_back(endpoint("127.0.0.1:8080"));
  const auto c = build(network);
  EXPECT_FALSE(c.dns_stub);
  EXPECT_TRUE(c.resolv_conf.empty());
  EXPECT_EQ(purposes(c), (std::vector<std::string>{"forward [::1]:5432"}));
  ASSERT_EQ(c.publish.size(), 1u);
  EXPECT_EQ(c.publish[0].host.str(), "127.0.0.1:8080");
  EXPECT_EQ(c.publish[0].inside.str(), "127.0.0.1:8080");
}

TEST(GatewayConfig, PublishOnAnyHostAddressReachesTheSandboxsLoopback) {
  policy::Network network;
  network.publish.push_back(endpoint("0.0.0.0:8080"));
  network.publish.push_back(endpoint("[::]:8443"));
  const auto c = build(network);
  EXPECT_EQ(c.publish[0].inside.str(), "127.0.0.1:8080");
  EXPECT_EQ(c.publish[1].inside.str(), "[::1]:8443");
}

TEST(GatewayConfig, RefusesWhatCannotWork) {
  policy::Network network;
  network.forward.push_back(endpoint("192.0.2.1:5432"));
  try {
    build(network);
    FAIL() << "a forward to a non-loopback address must be refused";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not a loopback address"), std::string::npos) << e.what();
  }
  const auto wide = network_with(policy::NetworkMode::allowlist, {"10.0.0.0/8:1-65535"});
  try {
    build(wide);
    FAIL() << "every port of the range would need a listener";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("distinct ports"), std::string::npos) << e.what();
  }
  auto pins = network_with(policy::NetworkMode::allowlist, {});
  pins.hosts = {{"x.test", "nope"}};
  EXPECT_THROW(build(pins), Error);
}

TEST(GatewayConfig, DescribeNamesEveryPart) {
  auto network = network_with(policy::NetworkMode::allowlist, {"a.test:443", "203.0.113.0/24:80"});
  network.forward.push_back(endpoint("127.0.0.1:5432"));
  network.publish.push_back(endpoint("127.0.0.1:8080"));
  const auto text = describe(build(network));
  for (const char* part : {"DNS stub on 127.0.0.53:53", "127.77.0.0/16", "listen *:443", "local route 203.0.113.0/24",
                           "forward 127.0.0.1:5432", "publish host 127.0.0.1:8080"})
    EXPECT_NE(text.find(part), std::string::npos) << part << " in:\n" << text;
}

}  // namespace
}  // namespace airlock::gateway
