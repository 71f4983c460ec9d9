#include "gateway/dns.hpp"

#include <ldns/ldns.h>

#include <cstdlib>
#include <memory>

#include "gateway/matcher.hpp"

namespace airlock::gateway::dns {
namespace {

struct PacketFree {
  void operator()(ldns_pkt* p) const { ldns_pkt_free(p); }
};
struct RrFree {
  void operator()(ldns_rr* rr) const { ldns_rr_free(rr); }
};
struct MallocFree {
  void operator()(void* p) const { std::free(p); }
};
using Packet = std::unique_ptr<ldns_pkt, PacketFree>;
using Rr = std::unique_ptr<ldns_rr, RrFree>;

constexpr std::size_t kHeaderSize = 12;

std::string owned_string(char* text) {
  std::unique_ptr<char, MallocFree> owner(text);
  return owner ? std::string(owner.get()) : std::string();
}

std::vector<std::uint8_t> to_wire(const ldns_pkt* packet) {
  std::uint8_t* wire = nullptr;
  std::size_t size = 0;
  if (ldns_pkt2wire(&wire, packet, &size) != LDNS_STATUS_OK) return {};
  std::unique_ptr<std::uint8_t, MallocFree> owner(wire);
  return {wire, wire + size};
}

// A header-only reply with `rcode`, for queries ldns could not parse: the id
// and opcode are read from the fixed 12-byte header (RFC 1035, 4.1.1).
Outcome header_only_error(std::span<const std::uint8_t> query, ldns_pkt_rcode rcode, std::string detail) {
  Outcome out;
  out.result = Outcome::Result::malformed;
  out.detail = std::move(detail);
  Packet reply(ldns_pkt_new());
  if (!reply) return out;
  ldns_pkt_set_id(reply.get(), static_cast<std::uint16_t>(query[0] << 8 | query[1]));
  ldns_pkt_set_qr(reply.get(), true);
  ldns_pkt_set_opcode(reply.get(), static_cast<ldns_pkt_opcode>((query[2] >> 3) & 0x0f));
  ldns_pkt_set_rcode(reply.get(), static_cast<std::uint8_t>(rcode));
  out.response = to_wire(reply.get());
  return out;
}

Packet reply_to(const ldns_pkt* query, const ldns_rr* question, ldns_pkt_rcode rcode) {
  Packet reply(ldns_pkt_new());
  if (!reply) return reply;
  ldns_pkt_set_id(reply.get(), ldns_pkt_id(query));
  ldns_pkt_set_qr(reply.get(), true);
  ldns_pkt_set_opcode(reply.get(), ldns_pkt_get_opcode(query));
  ldns_pkt_set_rd(reply.get(), ldns_pkt_rd(query));
  ldns_pkt_set_ra(reply.get(), true);
  ldns_pkt_set_rcode(reply.get(), static_cast<std::uint8_t>(rcode));
  if (question != nullptr) {
    Rr copy(ldns_rr_clone(question));
    if (copy && ldns_pkt_push_rr(reply.get(), LDNS_SECTION_QUESTION, copy.get())) copy.release();
  }
  return reply;
}

// The question's owner name is copied as sent, case included: resolvers
// that randomize case (DNS 0x20) check that it comes back unchanged.
bool add_address(ldns_pkt* reply, const ldns_rr* question, const IpAddress& address) {
  Rr rr(ldns_rr_new());
  if (!rr) return false;
  ldns_rr_set_owner(rr.get(), ldns_rdf_clone(ldns_rr_owner(question)));
  const bool v4 = address.family == AF_INET;
  ldns_rr_set_type(rr.get(), v4 ? LDNS_RR_TYPE_A : LDNS_RR_TYPE_AAAA);
  ldns_rr_set_class(rr.get(), LDNS_RR_CLASS_IN);
  ldns_rr_set_ttl(rr.get(), kAnswerTtl);
  ldns_rdf* data = ldns_rdf_new_frm_data(v4 ? LDNS_RDF_TYPE_A : LDNS_RDF_TYPE_AAAA, address.size(), address.bytes.data());
  if (data == nullptr || !ldns_rr_push_rdf(rr.get(), data)) {
    ldns_rdf_deep_free(data);
    return false;
  }
  if (!ldns_pkt_push_rr(reply, LDNS_SECTION_ANSWER, rr.get())) return false;
  rr.release();
  return true;
}

}  // namespace

Outcome answer(std::span<const std::uint8_t> query, const Lookup& lookup) {
  Outcome out;
  // Shorter than a header there is no id to answer to; a response (QR set)
  // is never answered, or two stubs could be made to talk to each other.
  if (query.size() < kHeaderSize || (query[2] & 0x80) != 0) {
    out.detail = query.size() < kHeaderSize ? "shorter than a DNS header" : "a response, not a query";
    return out;
  }
  ldns_pkt* parsed = nullptr;
  if (ldns_wire2pkt(&parsed, query.data(), query.size()) != LDNS_STATUS_OK) {
    return header_only_error(query, LDNS_RCODE_FORMERR, "not a well-formed DNS message");
  }
  Packet packet(parsed);
  if (ldns_pkt_get_opcode(packet.get()) != LDNS_PACKET_QUERY) {
    return header_only_error(query, LDNS_RCODE_NOTIMPL, "not a standard query");
  }
  const ldns_rr_list* questions = ldns_pkt_question(packet.get());
  if (ldns_pkt_qdcount(packet.get()) != 1 || questions == nullptr || ldns_rr_list_rr_count(questions) != 1) {
    return header_only_error(query, LDNS_RCODE_FORMERR, "not exactly one question");
  }
  const ldns_rr* question = ldns_rr_list_rr(questions, 0);
  out.name = normalize_name(owned_string(ldns_rdf2str(ldns_rr_owner(question))));
  out.type = owned_string(ldns_rr_type2str(ldns_rr_get_type(question)));

  const auto reply_with = [&](ldns_pkt_rcode rcode, Outcome::Result result, std::string detail) {
    Packet reply = reply_to(packet.get(), question, rcode);
    out.result = result;
    out.detail = std::move(detail);
    if (reply) out.response = to_wire(reply.get());
    return out;
  };
  if (ldns_rr_get_class(question) != LDNS_RR_CLASS_IN) {
    return reply_with(LDNS_RCODE_REFUSED, Outcome::Result::refused, "class is not IN");
  }
  const NameAnswer name = lookup(out.name);
  // A denied name does not exist, as far as the sandbox is concerned.
  // NXDOMAIN rather than REFUSED: glibc turns REFUSED into EAI_AGAIN
  // ("Temporary failure in name resolution"), which package managers retry
  // with backoff; NXDOMAIN fails at once and is not retried.
  if (name.kind == NameAnswer::Kind::denied) return reply_with(LDNS_RCODE_NXDOMAIN, Outcome::Result::refused, name.detail);
  if (name.kind == NameAnswer::Kind::exhausted || name.kind == NameAnswer::Kind::failed)
    return reply_with(LDNS_RCODE_SERVFAIL, Outcome::Result::failed, name.detail);

  Packet reply = reply_to(packet.get(), question, LDNS_RCODE_NOERROR);
  if (!reply) return out;
  ldns_pkt_set_aa(reply.get(), true);
  const auto type = ldns_rr_get_type(question);
  const bool matches = (type == LDNS_RR_TYPE_A && name.address.family == AF_INET) ||
                       (type == LDNS_RR_TYPE_AAAA && name.address.family == AF_INET6);
  // Any other type of an allowed name gets an empty answer (NODATA): the
  // sandbox learns nothing the policy does not already say.
  if (matches && !add_address(reply.get(), question, name.address)) return out;
  out.result = Outcome::Result::answered;
  out.detail = matches ? name.address.str() + " (" + name.detail + ")" : "no " + out.type + " record (NODATA)";
  out.response = to_wire(reply.get());
  return out;
}

std::optional<std::string> question_name(std::span<const std::uint8_t> query) {
  if (query.size() < kHeaderSize || (query[2] & 0x80) != 0) return std::nullopt;
  ldns_pkt* parsed = nullptr;
  if (ldns_wire2pkt(&parsed, query.data(), query.size()) != LDNS_STATUS_OK) return std::nullopt;
  Packet packet(parsed);
  const ldns_rr_list* questions = ldns_pkt_question(packet.get());
  if (ldns_pkt_get_opcode(packet.get()) != LDNS_PACKET_QUERY || ldns_pkt_qdcount(packet.get()) != 1 ||
      questions == nullptr || ldns_rr_list_rr_count(questions) != 1)
    return std::nullopt;
  const ldns_rr* question = ldns_rr_list_rr(questions, 0);
  if (ldns_rr_get_class(question) != LDNS_RR_CLASS_IN) return std::nullopt;
  return normalize_name(owned_string(ldns_rdf2str(ldns_rr_owner(question))));
}

std::optional<std::vector<std::uint8_t>> TcpFramer::next() {
  if (buffer_.size() < 2) return std::nullopt;
  const std::size_t length = static_cast<std::size_t>(buffer_[0] << 8 | buffer_[1]);
  if (buffer_.size() < 2 + length) return std::nullopt;
  std::vector<std::uint8_t> message(buffer_.begin() + 2, buffer_.begin() + static_cast<std::ptrdiff_t>(2 + length));
  buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(2 + length));
  return message;
}

std::vector<std::uint8_t> frame(std::span<const std::uint8_t> message) {
  std::vector<std::uint8_t> out;
  out.reserve(message.size() + 2);
  out.push_back(static_cast<std::uint8_t>(message.size() >> 8));
  out.push_back(static_cast<std::uint8_t>(message.size() & 0xff));
  out.insert(out.end(), message.begin(), message.end());
  return out;
}

}  // namespace airlock::gateway::dns
