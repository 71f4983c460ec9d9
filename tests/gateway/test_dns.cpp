// The DNS stub's answer function: bytes in, bytes out. Queries are built by
// hand (as an attacker would), responses are read back with ldns, a decoder
// independent of the stub's.
#include <gtest/gtest.h>
#include <ldns/ldns.h>

#include <memory>

#include "gateway/dns.hpp"

namespace airlock::gateway::dns {
namespace {

std::vector<std::uint8_t> query(const std::string& name, std::uint16_t type, std::uint16_t id = 0xbeef,
                                std::uint16_t flags = 0x0100, std::uint16_t qclass = 1) {
  std::vector<std::uint8_t> q = {static_cast<std::uint8_t>(id >> 8), static_cast<std::uint8_t>(id),
                                 static_cast<std::uint8_t>(flags >> 8), static_cast<std::uint8_t>(flags),
                                 0, 1, 0, 0, 0, 0, 0, 0};
  std::size_t start = 0;
  while (start <= name.size()) {
    auto dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    q.push_back(static_cast<std::uint8_t>(dot - start));
    q.insert(q.end(), name.begin() + static_cast<std::ptrdiff_t>(start), name.begin() + static_cast<std::ptrdiff_t>(dot));
    start = dot + 1;
  }
  q.push_back(0);
  for (std::uint16_t v : {type, qclass}) {
    q.push_back(static_cast<std::uint8_t>(v >> 8));
    q.push_back(static_cast<std::uint8_t>(v));
  }
  return q;
}

struct PacketFree {
  void operator()(ldns_pkt* p) const { ldns_pkt_free(p); }
};

struct Parsed {
  std::unique_ptr<ldns_pkt, PacketFree> packet;
  int rcode() const { return ldns_pkt_get_rcode(packet.get()); }
  std::size_t answers() const { return ldns_rr_list_rr_count(ldns_pkt_answer(packet.get())); }
  std::string answer_text(std::size_t i) const {
    char* text = ldns_rdf2str(ldns_rr_rdf(ldns_rr_list_rr(ldns_pkt_answer(packet.get()), i), 0));
    std::string out(text);
    free(text);
    return out;
  }
  std::string owner(std::size_t i) const {
    char* text = ldns_rdf2str(ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_answer(packet.get()), i)));
    std::string out(text);
    free(text);
    return out;
  }
};

Parsed parse(const std::vector<std::uint8_t>& wire) {
  ldns_pkt* p = nullptr;
  EXPECT_EQ(ldns_wire2pkt(&p, wire.data(), wire.size()), LDNS_STATUS_OK);
  return Parsed{std::unique_ptr<ldns_pkt, PacketFree>(p)};
}

Lookup table() {
  return [](std::string_view name) {
    if (name == "api.test") return NameAnswer{NameAnswer::Kind::address, IpAddress::v4(127, 77, 0, 1), "synthetic"};
    if (name == "v6.test")
      return NameAnswer{NameAnswer::Kind::address, IpAddress::parse("2001:db8::9").value(), "pinned by network.hosts"};
    if (name == "full.test") return NameAnswer{NameAnswer::Kind::exhausted, {}, "used up"};
    return NameAnswer{NameAnswer::Kind::denied, {}, "not in network.allow"};
  };
}

constexpr std::uint16_t kA = 1, kAAAA = 28, kTXT = 16;

TEST(GatewayDns, AllowedNameGetsItsAddress) {
  const auto out = answer(query("api.test", kA), table());
  EXPECT_EQ(out.result, Outcome::Result::answered);
  EXPECT_EQ(out.name, "api.test");
  EXPECT_EQ(out.type, "A");
  const auto r = parse(out.response);
  EXPECT_EQ(ldns_pkt_id(r.packet.get()), 0xbeef);
  EXPECT_TRUE(ldns_pkt_qr(r.packet.get()));
  EXPECT_TRUE(ldns_pkt_rd(r.packet.get())) << "RD is echoed";
  EXPECT_EQ(r.rcode(), LDNS_RCODE_NOERROR);
  ASSERT_EQ(r.answers(), 1u);
  EXPECT_EQ(r.answer_text(0), "127.77.0.1");
  EXPECT_EQ(ldns_rr_ttl(ldns_rr_list_rr(ldns_pkt_answer(r.packet.get()), 0)), kAnswerTtl);
  EXPECT_EQ(ldns_pkt_qdcount(r.packet.get()), 1) << "the question is echoed";
}

TEST(GatewayDns, CaseIsEchoedForDns0x20) {
  const auto out = answer(query("ApI.TeSt", kA), table());
  EXPECT_EQ(out.name, "api.test");
  const auto r = parse(out.response);
  ASSERT_EQ(r.answers(), 1u);
  EXPECT_EQ(r.owner(0), "ApI.TeSt.");
}

TEST(GatewayDns, OtherTypesOfAnAllowedNameGetNoData) {
  for (std::uint16_t type : {kAAAA, kTXT, std::uint16_t{255}}) {
    const auto out = answer(query("api.test", type), table());
    EXPECT_EQ(out.result, Outcome::Result::answered) << type;
    const auto r = parse(out.response);
    EXPECT_EQ(r.rcode(), LDNS_RCODE_NOERROR);
    EXPECT_EQ(r.answers(), 0u) << type;
  }
  const auto v6 = parse(answer(query("v6.test", kAAAA), table()).response);
  ASSERT_EQ(v6.answers(), 1u);
  EXPECT_EQ(v6.answer_text(0), "2001:db8::9");
  EXPECT_EQ(parse(answer(query("v6.test", kA), table()).response).answers(), 0u);
}

TEST(GatewayDns, OtherNamesDoNotExist) {
  const auto out = answer(query("evil.test", kA), table());
  EXPECT_EQ(out.result, Outcome::Result::refused);
  EXPECT_EQ(out.detail, "not in network.allow");
  const auto r = parse(out.response);
  EXPECT_EQ(r.rcode(), LDNS_RCODE_NXDOMAIN);
  EXPECT_EQ(r.answers(), 0u);
  // Data hidden in labels goes nowhere: the answer is the same.
  const auto exfil = answer(query("c2VjcmV0.evil.test", kTXT), table());
  EXPECT_EQ(exfil.result, Outcome::Result::refused);
}

TEST(GatewayDns, ExhaustionIsServfail) {
  const auto out = answer(query("full.test", kA), table());
  EXPECT_EQ(out.result, Outcome::Result::failed);
  EXPECT_EQ(parse(out.response).rcode(), LDNS_RCODE_SERVFAIL);
}

TEST(GatewayDns, OtherClassesAreRefused) {
  const auto out = answer(query("api.test", kA, 1, 0x0100, 3 /* CH */), table());
  EXPECT_EQ(out.result, Outcome::Result::refused);
  EXPECT_EQ(parse(out.response).rcode(), LDNS_RCODE_REFUSED);
}

TEST(GatewayDns, MalformedQueriesGetFormErrWithTheirId) {
  auto truncated = query("api.test", kA, 0x4242);
  truncated.resize(truncated.size() - 3);
  const auto out = answer(truncated, table());
  EXPECT_EQ(out.result, Outcome::Result::malformed);
  ASSERT_GE(out.response.size(), 12u);
  EXPECT_EQ(out.response[0], 0x42);
  EXPECT_EQ(out.response[1], 0x42);
  EXPECT_EQ(out.response[3] & 0x0f, LDNS_RCODE_FORMERR);

  // A compression pointer that points at itself.
  std::vector<std::uint8_t> loop = {0, 7, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1};
  EXPECT_EQ(answer(loop, table()).result, Outcome::Result::malformed);

  auto two = query("api.test", kA);
  two[5] = 2;  // QDCOUNT 2 with one question present
  EXPECT_EQ(answer(two, table()).result, Outcome::Result::malformed);
}

// The question is echoed byte for byte, so its name may not point anywhere:
// a pointer into the header (offset 4 holds a 0 byte, the root name) is a
// valid name that would mean something else in the response's header.
TEST(GatewayDns, AQuestionNameWithACompressionPointerIsRefusedAsMalformed) {
  std::vector<std::uint8_t> pointing = {0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 4, 0, 1, 0, 1};
  const auto out = answer(pointing, table());
  EXPECT_EQ(out.result, Outcome::Result::malformed);
  ASSERT_GE(out.response.size(), 12u);
  EXPECT_EQ(out.response[3] & 0x0f, LDNS_RCODE_FORMERR);
  EXPECT_EQ(question_name(pointing), std::nullopt);
}

// A name is at most 255 octets on the wire (RFC 1035, 2.3.4); echoing a
// longer one (found by fuzz_dns) would send a reply resolvers cannot parse.
TEST(GatewayDns, AQuestionNameLongerThan255OctetsIsMalformed) {
  const std::string label(63, 'a');
  const std::string longest = label + "." + label + "." + label + "." + std::string(61, 'b');  // 255 on the wire
  const auto fits = answer(query(longest, kA), table());
  EXPECT_EQ(fits.result, Outcome::Result::refused) << fits.detail;
  EXPECT_EQ(parse(fits.response).rcode(), LDNS_RCODE_NXDOMAIN);

  const auto over = query(longest + "c", kA);
  const auto out = answer(over, table());
  EXPECT_EQ(out.result, Outcome::Result::malformed);
  EXPECT_EQ(parse(out.response).rcode(), LDNS_RCODE_FORMERR);
  EXPECT_EQ(question_name(over), std::nullopt);
}

// Resolvers add an EDNS OPT record (RFC 6891) in the additional section: it
// is walked, not used, and must be whole.
TEST(GatewayDns, RecordsAfterTheQuestionMustBeWholeAndAreIgnored) {
  auto edns = query("api.test", kA);
  edns[11] = 1;  // ARCOUNT
  const std::vector<std::uint8_t> opt = {0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0};
  edns.insert(edns.end(), opt.begin(), opt.end());
  const auto out = answer(edns, table());
  EXPECT_EQ(out.result, Outcome::Result::answered);
  const auto r = parse(out.response);
  ASSERT_EQ(r.answers(), 1u);
  EXPECT_EQ(r.answer_text(0), "127.77.0.1");
  EXPECT_EQ(question_name(edns), "api.test");

  auto cut = edns;
  cut.resize(cut.size() - 3);  // RDLENGTH and the record's end missing
  EXPECT_EQ(answer(cut, table()).result, Outcome::Result::malformed);
  auto overlong = edns;
  overlong.back() = 9;  // RDLENGTH 9, no data
  EXPECT_EQ(answer(overlong, table()).result, Outcome::Result::malformed);
}

TEST(GatewayDns, TypesAreNamedAsPeopleReadThem) {
  EXPECT_EQ(answer(query("api.test", 65), table()).type, "HTTPS");
  EXPECT_EQ(answer(query("api.test", kTXT), table()).type, "TXT");
  EXPECT_EQ(answer(query("api.test", 4242), table()).type, "TYPE4242");
}

TEST(GatewayDns, NotAQuery) {
  EXPECT_EQ(answer(std::vector<std::uint8_t>{1, 2, 3}, table()).result, Outcome::Result::ignored);
  EXPECT_TRUE(answer(std::vector<std::uint8_t>{}, table()).response.empty());
  const auto response = query("api.test", kA, 7, 0x8180);  // QR set
  EXPECT_EQ(answer(response, table()).result, Outcome::Result::ignored);
  const auto update = query("api.test", kA, 7, 0x2800);  // opcode UPDATE
  const auto out = answer(update, table());
  EXPECT_EQ(out.result, Outcome::Result::malformed);
  EXPECT_EQ(out.response[3] & 0x0f, LDNS_RCODE_NOTIMPL);
}

TEST(GatewayDns, GarbageNeverCrashes) {
  // A cheap fuzz: every prefix and single-byte corruption of a valid query.
  const auto base = query("a.b.api.test", kA);
  for (std::size_t n = 0; n <= base.size(); ++n) {
    (void)answer(std::span(base.data(), n), table());
  }
  for (std::size_t i = 0; i < base.size(); ++i) {
    for (int v : {0x00, 0x3f, 0x40, 0xc0, 0xff}) {
      auto q = base;
      q[i] = static_cast<std::uint8_t>(v);
      const auto out = answer(q, table());
      if (!out.response.empty()) {
        EXPECT_EQ(out.response[0], q[0]);
        EXPECT_EQ(out.response[1], q[1]);
      }
    }
  }
}

TEST(GatewayDns, TcpFraming) {
  TcpFramer framer;
  const auto q1 = query("api.test", kA, 1);
  const auto q2 = query("evil.test", kA, 2);
  auto stream = frame(q1);
  const auto f2 = frame(q2);
  stream.insert(stream.end(), f2.begin(), f2.end());
  framer.append(std::span(stream.data(), 5));
  EXPECT_FALSE(framer.next());
  framer.append(std::span(stream.data() + 5, stream.size() - 5));
  EXPECT_EQ(framer.next(), q1);
  EXPECT_EQ(framer.next(), q2);
  EXPECT_FALSE(framer.next());
  EXPECT_EQ(framer.buffered(), 0u);
}

}  // namespace
}  // namespace airlock::gateway::dns

namespace airlock::gateway::dns {
namespace {

// DNS exfiltration puts data in labels; a refused name is shown with such
// labels withheld, and the destination's own domain kept.
TEST(GatewayDnsShownName, LabelsThatMayCarryDataAreWithheld) {
  EXPECT_EQ(shown_name("npm_abcdefghijklmnopqrstuvwxyz0123456789.exfil.example"), "[40 characters].exfil.example");
  EXPECT_EQ(shown_name("AKIAABCDEFGH12345678.exfil.example"), "[20 characters].exfil.example");
  EXPECT_EQ(shown_name("6a6f686e2d646f65.x.example"), "[16 characters].x.example");
  EXPECT_TRUE(name_withheld(shown_name("6a6f686e2d646f65.x.example")));
}

TEST(GatewayDnsShownName, OrdinaryNamesAreShownAsTheyAre) {
  for (const char* name : {"registry.example.org", "us-east-1.s3.example", "fonts-gstatic.example", "a.b.c",
                           "registry-mirror-eu.example"}) {
    EXPECT_EQ(shown_name(name), name);
    EXPECT_FALSE(name_withheld(shown_name(name))) << name;
  }
}

}  // namespace
}  // namespace airlock::gateway::dns
