// The log-only gateway's record folded into the observations, then
// assessed against a base and turned into `network.allow` entries: names
// for connections to names, addresses for connections to addresses.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "audit/generate.hpp"
#include "audit/audit_report.hpp"
#include "audit/traffic.hpp"
#include "audit_support.hpp"
#include "policy/egress.hpp"

using namespace airlock;
using namespace airlock::audit;
using namespace airlock::audit::testing;

namespace {

gateway::IpAddress ip(const char* text) { return gateway::IpAddress::parse(text).value(); }

// What a run that resolved registry.test and internal.test, connected to
// both and to a literal address, and asked for a name that does not exist
// looks like to the gateway and to the seccomp observer.
gateway::LogOnlyRecord traffic() {
  gateway::LogOnlyRecord t;
  t.stub = {ip("127.0.0.53"), 53};
  auto& registry = t.names["registry.test"];
  registry.types = {"A", "AAAA"};
  registry.addresses = {ip("203.0.113.10")};
  auto& internal = t.names["internal.test"];
  internal.types = {"A"};
  internal.addresses = {ip("10.1.2.3")};
  t.names["nothere.test"].error = "Domain name not found";
  t.synthetic[ip("127.77.0.1")] = "registry.test";
  t.synthetic[ip("127.77.0.2")] = "internal.test";
  auto& c = t.connections["registry.test:443"];
  c.name = "registry.test";
  c.to = {ip("127.77.0.1"), 443};
  c.count = 2;
  c.resolved = {ip("203.0.113.10")};
  auto& i = t.connections["internal.test:80"];
  i.name = "internal.test";
  i.to = {ip("127.77.0.2"), 80};
  i.count = 1;
  i.resolved = {ip("10.1.2.3")};
  auto& literal = t.connections["198.51.100.7:22"];
  literal.to = {ip("198.51.100.7"), 22};
  literal.count = 1;
  t.unrelayed = {"udp registry.test:443"};
  return t;
}

Observations observed() {
  Observations seen;
  seen.record_destination(v4("127.77.0.1", 443), "connect");
  seen.record_destination(v4("127.77.0.1", 443), "sendto");
  seen.record_destination(v4("127.77.0.2", 80), "connect");
  seen.record_destination(v4("198.51.100.7", 22), "connect");
  seen.record_destination(v4("127.0.0.53", 53), "connect");  // glibc asking the stub
  seen.record_destination(v4("127.0.0.1", 5432), "connect");  // a host service
  absorb(seen, traffic());
  return seen;
}

std::vector<std::string> texts(const std::vector<Destination>& list) {
  std::vector<std::string> out;
  for (const auto& d : list) out.push_back(d.text());
  return out;
}

}  // namespace

TEST(AuditTraffic, ConnectionsToSyntheticAddressesAreConnectionsToNames) {
  const auto seen = observed();
  EXPECT_TRUE(seen.gateway);
  std::vector<std::string> literal;
  for (const auto& [to, calls] : seen.destinations) literal.push_back(to.text());
  EXPECT_EQ(literal, (std::vector<std::string>{"127.0.0.1:5432", "198.51.100.7:22"}))
      << "no synthetic address and no stub left among the addresses";
  ASSERT_EQ(seen.named.size(), 2u);
  const auto& registry = seen.named.at(NamedDestination{"registry.test", 443});
  EXPECT_EQ(registry.calls, (std::set<std::string>{"connect", "sendto"}));
  EXPECT_EQ(registry.relayed, 2u);
  EXPECT_EQ(registry.addresses, std::set<std::string>{"203.0.113.10"});
  EXPECT_EQ(seen.names.size(), 3u);
  EXPECT_EQ(seen.names.at("nothere.test").error, "Domain name not found");
  EXPECT_EQ(seen.names.at("registry.test").addresses, std::vector<std::string>{"203.0.113.10"});
  EXPECT_EQ(seen.unrelayed, std::set<std::string>{"udp registry.test:443"});
}

TEST(AuditTraffic, TheBaseNeedsEachNameOnItsPortAndTheAddressesItsGuardRefuses) {
  const auto seen = observed();
  const auto a = assess(seen, default_base(), test_places());  // mode "none"
  ASSERT_EQ(a.allow_names.size(), 2u);
  EXPECT_EQ(a.allow_names[0].text(), "internal.test:80");
  EXPECT_EQ(a.allow_names[1].text(), "registry.test:443");
  EXPECT_EQ(texts(a.allow), (std::vector<std::string>{"10.1.2.3:80", "198.51.100.7:22"}))
      << "internal.test resolved to a private address: its name alone would be refused";
  EXPECT_NE(a.guarded.at("10.1.2.3:80").find("internal.test"), std::string::npos);
  EXPECT_EQ(texts(a.forward), std::vector<std::string>{"127.0.0.1:5432"});
  const auto subject = [&](const std::string& s) {
    return std::count_if(a.violations.begin(), a.violations.end(), [&](const Violation& v) { return v.subject == s; });
  };
  EXPECT_EQ(subject("registry.test:443"), 1);
  EXPECT_EQ(subject("internal.test:80"), 2) << "not allowed, and its address is guarded";
  EXPECT_EQ(subject("127.77.0.1:443"), 0);

  // A base that allows the names (one by a wildcard) and the private range needs nothing.
  auto base = default_base();
  base.mode = policy::NetworkMode::allowlist;
  std::string why;
  for (const char* rule : {"*.test:443", "internal.test:80", "10.0.0.0/8:80", "198.51.100.7:22"})
    base.allow.push_back(*policy::parse_egress_rule(rule, why));
  const auto covered = assess(seen, base, test_places());
  EXPECT_TRUE(covered.allow_names.empty());
  EXPECT_TRUE(covered.allow.empty());
  // The right name on another port is not enough.
  base.allow.erase(base.allow.begin());
  base.allow.push_back(*policy::parse_egress_rule("registry.test:80", why));
  const auto other_port = assess(seen, base, test_places());
  ASSERT_EQ(other_port.allow_names.size(), 1u);
  EXPECT_EQ(other_port.allow_names[0].text(), "registry.test:443");
}

TEST(AuditTraffic, APinnedNameIsNotGuarded) {
  auto seen = observed();
  seen.names.at("internal.test").pinned = true;
  const auto a = assess(seen, default_base(), test_places());
  EXPECT_EQ(texts(a.allow), std::vector<std::string>{"198.51.100.7:22"});
  EXPECT_EQ(a.allow_names.size(), 2u);
}

TEST(AuditTraffic, TheProfileNamesNamesSortedAndLoadsThem) {
  const auto places = test_places();
  const auto a = assess(observed(), default_base(), places);
  const auto plan = plan_profile(a, default_base(), places);
  EXPECT_EQ(plan.allow, (std::vector<std::string>{"10.1.2.3:80", "198.51.100.7:22", "internal.test:80",
                                                  "registry.test:443"}));
  EXPECT_TRUE(plan.allowlist);
  EXPECT_EQ(plan.forward, std::vector<std::string>{"127.0.0.1:5432"});
  GenerateOptions options;
  options.extends = "default";
  options.command = {"fetch"};
  const auto text = render(plan, a, places, options);
  EXPECT_NE(text.find("allow = [\"10.1.2.3:80\", \"198.51.100.7:22\", \"internal.test:80\", \"registry.test:443\"]"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("# 10.1.2.3:80: internal.test resolved to it"), std::string::npos) << text;
  EXPECT_EQ(text.find("127.77."), std::string::npos) << "no synthetic address reaches a profile";
  EXPECT_EQ(text.find("nothere.test"), std::string::npos) << "a name looked up but never connected to";
  for (const auto& entry : plan.allow) {
    std::string why;
    EXPECT_TRUE(policy::parse_egress_rule(entry, why)) << entry << ": " << why;
  }
}

TEST(AuditTraffic, ANameNoRuleCanHoldIsRefusedNotWritten) {
  Observations seen;
  seen.named[NamedDestination{"bad\\032name.test", 443}].calls = {"connect"};
  seen.named[NamedDestination{"good.test", 443}].calls = {"connect"};
  seen.gateway = true;
  const auto places = test_places();
  const auto a = assess(seen, default_base(), places);
  const auto plan = plan_profile(a, default_base(), places);
  EXPECT_EQ(plan.allow, std::vector<std::string>{"good.test:443"});
  ASSERT_EQ(plan.network_refused.size(), 1u);
  EXPECT_EQ(plan.network_refused[0].rfind("bad\\032name.test:443: ", 0), 0u) << plan.network_refused[0];
  GenerateOptions options;
  options.extends = "default";
  const auto text = render(plan, a, places, options);
  EXPECT_NE(text.find("#   connect bad\\032name.test:443"), std::string::npos) << text;
  EXPECT_NE(plan_summary(plan).find("1 refused"), std::string::npos);
}

TEST(AuditTraffic, TheReportListsNamesAndWhatTheBaseWouldHaveDenied) {
  const auto seen = observed();
  const auto places = test_places();
  const auto a = assess(seen, default_base(), places);
  const auto plan = plan_profile(a, default_base(), places);
  ReportInput in{"default", &seen, &a, &plan, &places, "gen.toml", {}};
  const auto doc = nlohmann::json::parse(report_json(R"({"schema": "airlock-run-report"})", in));
  const auto& n = doc.at("audit").at("network");
  EXPECT_EQ(n.at("observed_by"), "gateway, log-only");
  ASSERT_EQ(n.at("names").size(), 3u);
  EXPECT_EQ(n.at("names")[0].at("name"), "internal.test");
  EXPECT_EQ(n.at("names")[1].at("error"), "Domain name not found");
  ASSERT_EQ(n.at("named_connections").size(), 2u);
  EXPECT_EQ(n.at("named_connections")[1].at("to"), "registry.test:443");
  EXPECT_EQ(n.at("named_connections")[1].at("relayed"), 2);
  EXPECT_EQ(n.at("allow_needed"),
            nlohmann::json({"10.1.2.3:80", "198.51.100.7:22", "internal.test:80", "registry.test:443"}));
  EXPECT_EQ(n.at("unrelayed"), nlohmann::json({"udp registry.test:443"}));
  bool named_violation = false;
  for (const auto& v : doc.at("audit").at("would_be_denied"))
    named_violation = named_violation || v.at("subject") == "registry.test:443";
  EXPECT_TRUE(named_violation);
  EXPECT_EQ(doc.at("audit").at("generated").at("allow").size(), 4u);
  const auto lines = name_lines(seen, 2);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[1], "  internal.test -> 10.1.2.3");
  EXPECT_EQ(lines[3], "  ... and 1 more (all of them in --report)");
}
