// Where the gateway meets the rest of the sandbox: the enforcement plan, the
// spec (resolv.conf step, Landlock fallback), the bind_content mount and the
// run report.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "policy/egress.hpp"
#include "report/report.hpp"
#include "sandbox/mounts.hpp"
#include "sandbox/namespace_harness.hpp"
#include "sandbox/plan.hpp"
#include "sandbox/spec.hpp"

namespace airlock {
namespace {

using testing::errno_name;
using testing::run_in_new_namespaces;
using testing::slurp;

policy::Policy allowlist_policy() {
  policy::Policy p;
  p.name = "test";
  p.network.mode = policy::NetworkMode::allowlist;
  std::string why;
  p.network.allow.push_back(*policy::parse_egress_rule("api.test:443,8443", why));
  return p;
}

kernel::Features features(bool namespaces, int landlock_abi) {
  kernel::Features f;
  f.user_namespaces = {namespaces, namespaces ? "ok" : "user namespaces are disabled"};
  f.mount_setattr = {true, "ok"};
  f.landlock_abi = landlock_abi;
  f.seccomp = {true, "ok"};
  return f;
}

const sandbox::LayerDecision* network_layer(const sandbox::EnforcementPlan& plan) {
  auto it = std::find_if(plan.layers.begin(), plan.layers.end(), [](const auto& l) { return l.layer == "network"; });
  return it == plan.layers.end() ? nullptr : &*it;
}

TEST(GatewayPlan, AllowlistIsEnforcedWithNamespaces) {
  const auto plan = sandbox::plan_enforcement(allowlist_policy(), features(true, 6));
  EXPECT_TRUE(plan.complete()) << sandbox::refusal_message(plan);
  const auto* network = network_layer(plan);
  ASSERT_NE(network, nullptr);
  EXPECT_TRUE(network->enforced);
  EXPECT_NE(network->detail.find("egress gateway"), std::string::npos) << network->detail;
}

TEST(GatewayPlan, WithoutNamespacesOnlyLandlockPortsAndItSaysSo) {
  const auto plan = sandbox::plan_enforcement(allowlist_policy(), features(false, 6));
  EXPECT_FALSE(plan.complete());
  const auto* network = network_layer(plan);
  ASSERT_NE(network, nullptr);
  EXPECT_FALSE(network->enforced);
  EXPECT_NE(network->detail.find("Landlock narrows TCP connect to the allowed ports"), std::string::npos)
      << network->detail;
  const auto old = sandbox::plan_enforcement(allowlist_policy(), features(false, 3));
  EXPECT_NE(network_layer(old)->detail.find("open"), std::string::npos);

  const auto request = sandbox::landlock_request(allowlist_policy(), plan, "");
  EXPECT_TRUE(request.restrict_tcp);
  ASSERT_EQ(request.connect_tcp.size(), 2u);
  EXPECT_EQ(request.connect_tcp[0].first, 443);
  EXPECT_EQ(request.connect_tcp[1].first, 8443);
}

TEST(GatewaySpec, AllowlistBindsTheStubsResolvConf) {
  const auto policy = allowlist_policy();
  const auto plan = sandbox::plan_enforcement(policy, features(true, 6));
  auto host = sandbox::current_host_state();
  const auto spec = sandbox::prepare(policy, plan, {"/bin/true"}, host);
  ASSERT_TRUE(spec.gateway);
  EXPECT_TRUE(spec.gateway->dns_stub);
  const auto& steps = spec.mounts.steps;
  auto resolv = std::find_if(steps.begin(), steps.end(), [](const auto& s) { return s.target == "/etc/resolv.conf"; });
  ASSERT_NE(resolv, steps.end());
  EXPECT_EQ(resolv->op, mounts::Op::bind_content);
  EXPECT_EQ(resolv->source, spec.gateway->resolv_conf);
  auto first_remount = std::find_if(steps.begin(), steps.end(), [](const auto& s) { return s.op == mounts::Op::remount_ro; });
  EXPECT_LT(resolv, first_remount) << "before the remounts";
  EXPECT_EQ(std::find_if(resolv + 1, steps.end(), [](const auto& s) { return s.op != mounts::Op::remount_ro; }),
            steps.end())
      << "after every other mount";
  EXPECT_NE(mounts::describe(spec.mounts).find("bind_content /etc/resolv.conf ("), std::string::npos)
      << mounts::describe(spec.mounts);

  policy::Policy none;
  const auto none_spec = sandbox::prepare(none, sandbox::plan_enforcement(none, features(true, 6)), {"/bin/true"}, host);
  EXPECT_FALSE(none_spec.gateway);
}

TEST(GatewayMounts, BindContentShowsTheTextReadOnly) {
  mounts::Layout plan;
  plan.view = policy::View::minimal;
  plan.steps = {{mounts::Op::tmpfs, "/", "mode=0755", "root"},
                {mounts::Op::remount_ro, "/", "", "root"}};
  mounts::add_file(plan, "/etc/resolv.conf", "nameserver 127.0.0.53\n", "stub");
  ASSERT_EQ(plan.steps[1].op, mounts::Op::bind_content);
  const auto run = run_in_new_namespaces([&](std::string& out) {
    mounts::apply(plan);
    out += "content=" + slurp("/etc/resolv.conf");
    const int fd = ::open("/etc/resolv.conf", O_WRONLY | O_CLOEXEC);
    out += "write=" + (fd < 0 ? errno_name(errno) : std::string("opened")) + "\n";
    if (fd >= 0) ::close(fd);
    return 0;
  });
  ASSERT_EQ(run.status, 0) << run.output;
  auto v = run.values();
  EXPECT_EQ(v["content"], "nameserver 127.0.0.53");
  EXPECT_TRUE(v["write"] == "EROFS" || v["write"] == "EACCES") << v["write"];
}

TEST(GatewayReport, NetworkObjectCountsAndLists) {
  const auto policy = allowlist_policy();
  const auto f = features(true, 6);
  const auto plan = sandbox::plan_enforcement(policy, f);
  sandbox::Spec spec;
  sandbox::RunResult result;
  gateway::Stats stats;
  ++stats.connections_allowed;
  EXPECT_TRUE(stats.deny_connection("evil.test:443", "evil.test is not in network.allow"));
  EXPECT_FALSE(stats.deny_connection("evil.test:443", "evil.test is not in network.allow"));
  EXPECT_TRUE(stats.refuse_query("evil.test (A)", "not in network.allow"));
  stats.bytes_out = 10;
  result.network = stats;
  const auto doc = nlohmann::json::parse(report::to_json(policy, f, plan, spec, result));
  const auto& n = doc.at("network");
  EXPECT_EQ(n.at("mode"), "allowlist");
  EXPECT_EQ(n.at("gateway"), true);
  EXPECT_EQ(n.at("connections").at("allowed"), 1);
  EXPECT_EQ(n.at("connections").at("denied"), 2);
  EXPECT_EQ(n.at("dns").at("refused"), 1);
  EXPECT_EQ(n.at("bytes").at("out"), 10);
  ASSERT_EQ(n.at("denied_connections").size(), 1u);
  EXPECT_EQ(n.at("denied_connections")[0].at("destination"), "evil.test:443");
  EXPECT_EQ(n.at("denied_connections")[0].at("count"), 2);
  EXPECT_EQ(n.at("denied_queries")[0].at("query"), "evil.test (A)");
  EXPECT_EQ(n.at("log_only"), false);
  result.network->log_only = true;
  EXPECT_EQ(nlohmann::json::parse(report::to_json(policy, f, plan, spec, result)).at("network").at("log_only"), true)
      << "an audit's gateway says it only observed";

  result.network.reset();
  const auto without = nlohmann::json::parse(report::to_json(policy, f, plan, spec, result));
  EXPECT_EQ(without.at("network").at("gateway"), false);
  EXPECT_FALSE(without.at("network").contains("connections"));
}

TEST(GatewayReport, DeniedListsAreBounded) {
  gateway::Stats stats;
  for (std::size_t i = 0; i < gateway::Stats::kMaxListed + 5; ++i)
    EXPECT_EQ(stats.deny_connection("203.0.113." + std::to_string(i) + ":22", "no rule"), i < gateway::Stats::kMaxListed);
  EXPECT_FALSE(stats.deny_connection("203.0.113.0:22", "no rule")) << "a repeat is not new";
  EXPECT_EQ(stats.connections_denied, gateway::Stats::kMaxListed + 6);
  EXPECT_EQ(stats.denied_connections.size(), gateway::Stats::kMaxListed);
  EXPECT_EQ(stats.denied_connections[0].count, 2u);
  EXPECT_EQ(stats.denied_unlisted, 5u);
}

}  // namespace
}  // namespace airlock
