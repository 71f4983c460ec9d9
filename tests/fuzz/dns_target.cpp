// Fuzz target: bytes the sandbox sends to the DNS stub. The stub answers
// from a policy that allows two names (one of them by wildcard) and pins a
// third, with a synthetic range small enough to run out.
#include <memory>
#include <optional>

#include "fuzz/targets.hpp"
#include "gateway/decide.hpp"
#include "gateway/dns.hpp"
#include "gateway/matcher.hpp"
#include "gateway/synthetic.hpp"
#include "policy/egress.hpp"
// Last: ldns's headers define `bool` and `false` as macros, which breaks
// <optional>'s operator<=> when it is parsed after them.
#include <ldns/ldns.h>

namespace airlock::fuzz {
namespace {

using gateway::dns::Outcome;

policy::Network test_network() {
  policy::Network network;
  network.mode = policy::NetworkMode::allowlist;
  for (const char* text : {"api.test:443", "*.example.org:443,8443", "203.0.113.0/24:80"}) {
    std::string why;
    auto rule = policy::parse_egress_rule(text, why);
    if (!rule) throw InvariantBroken("the fuzz target's own rule \"" + std::string(text) + "\": " + why);
    network.allow.push_back(std::move(*rule));
  }
  network.hosts["pinned.test"] = "2001:db8::7";
  return network;
}

struct PacketFree {
  void operator()(ldns_pkt* p) const { ldns_pkt_free(p); }
};

// What the stub sends back must be a DNS response to the query, and may
// carry an address only for a name the policy answers.
void check_response(const Outcome& out, Input query, const gateway::Matcher& matcher) {
  if (out.response.empty()) return;
  ldns_pkt* raw = nullptr;
  if (ldns_wire2pkt(&raw, out.response.data(), out.response.size()) != LDNS_STATUS_OK)
    throw InvariantBroken("the stub sent a response ldns cannot parse");
  const std::unique_ptr<ldns_pkt, PacketFree> reply(raw);
  if (!ldns_pkt_qr(reply.get())) throw InvariantBroken("the stub sent a message that is not a response");
  if (ldns_pkt_id(reply.get()) != (query[0] << 8 | query[1])) throw InvariantBroken("the response has another id");
  if (ldns_pkt_ancount(reply.get()) > 1) throw InvariantBroken("more than one answer record");
  if (ldns_pkt_ancount(reply.get()) == 1) {
    if (out.result != Outcome::Result::answered) throw InvariantBroken("an address in a refusal");
    if (!matcher.name_allowed(out.name) && !matcher.pinned(out.name))
      throw InvariantBroken("an address for \"" + out.name + "\", which the policy does not answer");
  }
}

void answer_one(Input query, const gateway::Matcher& matcher, gateway::SyntheticAddresses& synthetic) {
  std::optional<std::string> looked_up;
  const gateway::dns::Lookup lookup = [&](std::string_view name) {
    looked_up = std::string(name);
    return gateway::answer_name(matcher, synthetic, name);
  };
  const auto out = gateway::dns::answer(query, lookup);
  if (out.result == Outcome::Result::ignored && !out.response.empty())
    throw InvariantBroken("an ignored query was answered");
  // The log-only stub reads the question first, to resolve it before the
  // answer: it must read exactly the name answer() looks up.
  const auto question = gateway::dns::question_name(query);
  if (question.has_value() != looked_up.has_value() || (question && *question != out.name))
    throw InvariantBroken("question_name() and answer() disagree about the name asked");
  check_response(out, query, matcher);
}

}  // namespace

void dns_input(Input data) {
  static const gateway::Matcher matcher(test_network());
  // Per input, and so small that a stream of three names uses it up.
  gateway::SyntheticAddresses synthetic(gateway::IpAddress::v4(127, 77, 0, 0), 30);
  answer_one(data, matcher, synthetic);

  // The same bytes as a TCP stream: split in two at a point the input
  // chooses, so that messages straddle reads.
  gateway::dns::TcpFramer framer;
  const std::size_t cut = data.empty() ? 0 : data[0] % (data.size() + 1);
  framer.append(data.first(cut));
  while (auto message = framer.next()) answer_one(*message, matcher, synthetic);
  framer.append(data.subspan(cut));
  while (auto message = framer.next()) answer_one(*message, matcher, synthetic);
  if (framer.buffered() > data.size()) throw InvariantBroken("the framer holds more than it was given");

  const auto framed = gateway::dns::frame(data.first(std::min<std::size_t>(data.size(), 0xffff)));
  gateway::dns::TcpFramer again;
  again.append(framed);
  const auto round_trip = again.next();
  if (!round_trip || !std::equal(round_trip->begin(), round_trip->end(), data.begin(), data.begin() + static_cast<std::ptrdiff_t>(round_trip->size())) ||
      round_trip->size() != std::min<std::size_t>(data.size(), 0xffff) || again.buffered() != 0)
    throw InvariantBroken("frame() and TcpFramer disagree");
}

}  // namespace airlock::fuzz
