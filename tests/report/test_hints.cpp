#include <gtest/gtest.h>

#include "report/hints.hpp"

using namespace airlock;

TEST(ReportHints, NameEachDenialWithTheFlagThatAllowsIt) {
  policy::Policy policy;
  policy.name = "ci-step";
  sandbox::Spec spec;
  spec.env.dropped = {{"PATHX", "not kept"}, {"NPM_TOKEN", "secret name (matches *TOKEN)"}};
  sandbox::RunResult result;
  result.network = gateway::Stats{};
  result.network->denied_queries = {{"evil.example (A)", "not in network.allow", 2},
                                    {"evil.example (AAAA)", "not in network.allow", 1}};
  result.network->denied_connections = {{"203.0.113.9:22", "no address or CIDR rule covers 203.0.113.9", 1}};
  const auto hints = report::denial_hints(policy, spec, result);
  ASSERT_EQ(hints.size(), 3u) << "one line per name, per destination, per secret; unkept names are not hints";
  EXPECT_NE(hints[0].find("DNS lookup of evil.example"), std::string::npos) << hints[0];
  EXPECT_NE(hints[0].find("--allow-net evil.example:PORT"), std::string::npos);
  EXPECT_NE(hints[1].find("--allow-net 203.0.113.9:22"), std::string::npos) << hints[1];
  EXPECT_NE(hints[1].find("network.allow = [\"203.0.113.9:22\"] in a profile that extends \"ci-step\""),
            std::string::npos);
  EXPECT_NE(hints[2].find("environment.allow_secrets = [\"NPM_TOKEN\"]"), std::string::npos) << hints[2];
}

TEST(ReportHints, NothingDeniedNothingSaid) {
  EXPECT_TRUE(report::denial_hints(policy::Policy{}, sandbox::Spec{}, sandbox::RunResult{}).empty());
}
