#include "gateway/dns.hpp"

#include <ares.h>

#include <algorithm>
#include <array>
#include <memory>

#include "gateway/matcher.hpp"
#include "util/bytes.hpp"

namespace airlock::gateway::dns {
namespace {

constexpr std::size_t kHeaderSize = 12;
constexpr std::size_t kFixedRecordFields = 10;  // type, class, TTL, RDLENGTH (RFC 1035, 4.1.3)
constexpr std::uint16_t kTypeA = 1;
constexpr std::uint16_t kTypeAaaa = 28;
constexpr std::uint16_t kClassIn = 1;
constexpr std::uint8_t kOpcodeQuery = 0;

enum class Rcode : std::uint8_t { no_error = 0, format_error = 1, server_failure = 2, name_error = 3, not_implemented = 4, refused = 5 };

void put16(std::vector<std::uint8_t>& out, std::uint16_t value) {
  out.push_back(static_cast<std::uint8_t>(value >> 8));
  out.push_back(static_cast<std::uint8_t>(value & 0xff));
}

void put32(std::vector<std::uint8_t>& out, std::uint32_t value) {
  put16(out, static_cast<std::uint16_t>(value >> 16));
  put16(out, static_cast<std::uint16_t>(value & 0xffff));
}

struct AresFree {
  void operator()(char* text) const { ares_free_string(text); }
};

// A name in the message at `at`, decoded by c-ares (labels, compression
// pointers and their loops, lengths), as text with its special characters
// escaped; `length` is what it takes in the message at `at`.
struct Name {
  std::string text;
  std::size_t length = 0;
};

std::optional<Name> read_name(std::span<const std::uint8_t> message, std::size_t at) {
  if (at >= message.size()) return std::nullopt;
  char* text = nullptr;
  long length = 0;
  if (ares_expand_name(message.data() + at, message.data(), static_cast<int>(message.size()), &text, &length) !=
      ARES_SUCCESS)
    return std::nullopt;
  const std::unique_ptr<char, AresFree> owner(text);
  return Name{text, static_cast<std::size_t>(length)};
}

// The length of the name at `at` written out label by label, without a
// compression pointer; 0 when it uses one. A question's name is echoed byte
// for byte (case included: resolvers that randomize case, DNS 0x20, check
// that it comes back unchanged), which is only sound without pointers.
// 0 too past 255 octets (RFC 1035, 2.3.4): c-ares decodes longer names, but
// an echo of one would be a response no resolver can read.
std::size_t uncompressed_length(std::span<const std::uint8_t> message, std::size_t at) {
  constexpr std::size_t kMaxName = 255;
  std::size_t pos = at;
  while (pos < message.size() && pos - at < kMaxName) {
    const std::uint8_t label = message[pos];
    if (label == 0) return pos + 1 - at;
    if ((label & 0xc0) != 0) return 0;
    pos += 1 + label;
  }
  return 0;
}

// What the stub answers from: the parts of a well-formed query.
struct Query {
  std::uint16_t id = 0;
  std::uint8_t opcode = 0;
  bool rd = false;
  std::uint16_t questions = 0;
  std::string name;                       // the first question's, as decoded
  std::span<const std::uint8_t> question; // the first question as sent: name, type, class
  std::uint16_t type = 0;
  std::uint16_t qclass = 0;
};

// Every question and record must be whole, or the query gets FORMERR;
// records after the questions (an EDNS OPT record, say) are walked, not used.
// `message` holds at least the header.
std::optional<Query> parse(std::span<const std::uint8_t> message) {
  Query q;
  q.id = read_be16(message, 0);
  q.opcode = static_cast<std::uint8_t>((message[2] >> 3) & 0x0f);
  q.rd = (message[2] & 0x01) != 0;
  q.questions = read_be16(message, 4);
  const unsigned records = 0U + read_be16(message, 6) + read_be16(message, 8) + read_be16(message, 10);
  std::size_t at = kHeaderSize;
  for (unsigned i = 0; i < q.questions; ++i) {
    const auto name = read_name(message, at);
    if (!name || at + name->length + 4 > message.size()) return std::nullopt;
    if (i == 0) {
      const std::size_t plain = uncompressed_length(message, at);
      if (plain != name->length) return std::nullopt;
      q.name = name->text;
      q.type = read_be16(message, at + plain);
      q.qclass = read_be16(message, at + plain + 2);
      q.question = message.subspan(at, plain + 4);
    }
    at += name->length + 4;
  }
  for (unsigned i = 0; i < records; ++i) {
    const auto name = read_name(message, at);
    if (!name || at + name->length + kFixedRecordFields > message.size()) return std::nullopt;
    at += name->length + kFixedRecordFields;
    at += read_be16(message, at - 2);  // RDLENGTH
    if (at > message.size()) return std::nullopt;
  }
  return q;
}

// A reply header (RFC 1035, 4.1.1): QR set, the query's id and opcode.
// `flags` are AA and RD; `ra`: recursion available, said of every reply to
// a query the stub could read.
std::vector<std::uint8_t> header(std::uint16_t id, std::uint8_t opcode, std::uint8_t flags, bool ra, Rcode rcode,
                                 std::uint16_t questions, std::uint16_t answers) {
  std::vector<std::uint8_t> out;
  out.reserve(kHeaderSize + 64);
  put16(out, id);
  out.push_back(static_cast<std::uint8_t>(0x80 | opcode << 3 | flags));
  out.push_back(static_cast<std::uint8_t>((ra ? 0x80 : 0) | static_cast<std::uint8_t>(rcode)));
  put16(out, questions);
  put16(out, answers);
  put16(out, 0);
  put16(out, 0);
  return out;
}

// A header-only reply with `rcode`, for queries that could not be parsed:
// the id and opcode are read from the fixed 12-byte header (RFC 1035, 4.1.1).
Outcome header_only_error(std::span<const std::uint8_t> query, Rcode rcode, std::string detail) {
  Outcome out;
  out.result = Outcome::Result::malformed;
  out.detail = std::move(detail);
  out.response = header(read_be16(query, 0), static_cast<std::uint8_t>((query[2] >> 3) & 0x0f), 0, false, rcode, 0, 0);
  return out;
}

// The reply to `q`, its question echoed; with `address`, one answer record
// whose owner points at the echoed name.
std::vector<std::uint8_t> reply_to(const Query& q, Rcode rcode, bool authoritative, const IpAddress* address) {
  const std::uint8_t flags = static_cast<std::uint8_t>((authoritative ? 0x04 : 0) | (q.rd ? 0x01 : 0));
  auto out = header(q.id, q.opcode, flags, true, rcode, 1, address != nullptr ? 1 : 0);
  out.insert(out.end(), q.question.begin(), q.question.end());
  if (address != nullptr) {
    put16(out, static_cast<std::uint16_t>(0xc000 | kHeaderSize));
    put16(out, address->family == AF_INET ? kTypeA : kTypeAaaa);
    put16(out, kClassIn);
    put32(out, kAnswerTtl);
    put16(out, static_cast<std::uint16_t>(address->size()));
    out.insert(out.end(), address->bytes.begin(), address->bytes.begin() + static_cast<std::ptrdiff_t>(address->size()));
  }
  return out;
}

// The mnemonic of a record type, as a person reads it in the audit report
// and the log; others in RFC 3597's TYPEnnn form.
std::string type_name(std::uint16_t type) {
  static constexpr std::array<std::pair<std::uint16_t, const char*>, 22> kNames{{
      {1, "A"},       {2, "NS"},      {5, "CNAME"},  {6, "SOA"},    {12, "PTR"},   {13, "HINFO"},
      {15, "MX"},     {16, "TXT"},    {28, "AAAA"},  {33, "SRV"},   {35, "NAPTR"}, {39, "DNAME"},
      {43, "DS"},     {44, "SSHFP"},  {48, "DNSKEY"}, {52, "TLSA"}, {64, "SVCB"},  {65, "HTTPS"},
      {99, "SPF"},    {255, "ANY"},   {256, "URI"},  {257, "CAA"},
  }};
  for (const auto& [number, name] : kNames)
    if (number == type) return name;
  return "TYPE" + std::to_string(type);
}

// The checks answer() and question_name() share, in this order: a
// malformed message, then an opcode other than QUERY, then a question count
// other than one.
struct Checked {
  std::optional<Query> query;
  Rcode rcode = Rcode::no_error;
  const char* detail = "";
};

Checked check(std::span<const std::uint8_t> message) {
  auto q = parse(message);
  if (!q) return {std::nullopt, Rcode::format_error, "not a well-formed DNS message"};
  if (q->opcode != kOpcodeQuery) return {std::nullopt, Rcode::not_implemented, "not a standard query"};
  if (q->questions != 1) return {std::nullopt, Rcode::format_error, "not exactly one question"};
  return {std::move(q)};
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
  const Checked checked = check(query);
  if (!checked.query) return header_only_error(query, checked.rcode, checked.detail);
  const Query& q = *checked.query;
  out.name = normalize_name(q.name);
  out.type = type_name(q.type);

  const auto reply_with = [&](Rcode rcode, Outcome::Result result, std::string detail) {
    out.result = result;
    out.detail = std::move(detail);
    out.response = reply_to(q, rcode, false, nullptr);
    return out;
  };
  if (q.qclass != kClassIn) return reply_with(Rcode::refused, Outcome::Result::refused, "class is not IN");
  const NameAnswer name = lookup(out.name);
  // A denied name does not exist, as far as the sandbox is concerned.
  // NXDOMAIN rather than REFUSED: glibc turns REFUSED into EAI_AGAIN
  // ("Temporary failure in name resolution"), which package managers retry
  // with backoff; NXDOMAIN fails at once and is not retried.
  if (name.kind == NameAnswer::Kind::denied) return reply_with(Rcode::name_error, Outcome::Result::refused, name.detail);
  if (name.kind == NameAnswer::Kind::exhausted || name.kind == NameAnswer::Kind::failed)
    return reply_with(Rcode::server_failure, Outcome::Result::failed, name.detail);

  const bool matches = (q.type == kTypeA && name.address.family == AF_INET) ||
                       (q.type == kTypeAaaa && name.address.family == AF_INET6);
  // Any other type of an allowed name gets an empty answer (NODATA): the
  // sandbox learns nothing the policy does not already say.
  out.result = Outcome::Result::answered;
  out.detail = matches ? name.address.str() + " (" + name.detail + ")" : "no " + out.type + " record (NODATA)";
  out.response = reply_to(q, Rcode::no_error, true, matches ? &name.address : nullptr);
  return out;
}

namespace {

bool may_carry_data(std::string_view label) {
  if (label.size() > 24) return true;
  const bool digit = std::any_of(label.begin(), label.end(), [](char c) { return c >= '0' && c <= '9'; });
  const bool letter = std::any_of(label.begin(), label.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  });
  return label.size() >= 16 && digit && letter;
}

}  // namespace

std::string shown_name(std::string_view name) {
  std::string out;
  std::size_t start = 0;
  while (start <= name.size()) {
    const std::size_t dot = std::min(name.find('.', start), name.size());
    const auto label = name.substr(start, dot - start);
    if (!out.empty() || start > 0) out += '.';
    out += may_carry_data(label) ? "[" + std::to_string(label.size()) + " characters]" : std::string(label);
    start = dot + 1;
  }
  return out;
}

bool name_withheld(std::string_view shown) { return shown.find(" characters]") != std::string_view::npos; }

std::optional<std::string> question_name(std::span<const std::uint8_t> query) {
  if (query.size() < kHeaderSize || (query[2] & 0x80) != 0) return std::nullopt;
  const Checked checked = check(query);
  if (!checked.query || checked.query->qclass != kClassIn) return std::nullopt;
  return normalize_name(checked.query->name);
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
