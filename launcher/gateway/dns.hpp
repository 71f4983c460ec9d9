#pragma once
// The DNS stub's answer function: query bytes in, response bytes out. The
// packets come from the sandbox and are untrusted: their names (labels,
// compression pointers and their loops) are decoded by c-ares, which the
// gateway uses anyway; what is left are fixed-size fields, each read after a
// bounds check, and a question echoed only when its name has no pointer.
// (ldns did this before; it pulled OpenSSL's DNSSEC code and tables into
// every run's start-up: README, Benchmarks.) Responses are written from
// scratch. Nothing here asks anyone else: a name is answered from the policy
// (through `lookup`) or refused, so no query can carry data out.
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/decide.hpp"

namespace airlock::gateway::dns {

using Lookup = std::function<NameAnswer(std::string_view name)>;

struct Outcome {
  enum class Result {
    answered,   // NOERROR, with an address or without (NODATA: another type)
    refused,    // NXDOMAIN: the name is not allowed (REFUSED for a class other than IN)
    failed,     // SERVFAIL: allowed, but no synthetic address was left
    malformed,  // FORMERR or NOTIMP: not a query we understand
    ignored,    // nothing sent back: too short to answer, or a response
  };
  Result result = Result::ignored;
  std::vector<std::uint8_t> response;  // empty for ignored
  std::string name;                    // normalized; empty when malformed
  std::string type;                    // "A", "AAAA", "TXT", ...
  std::string detail;                  // the address given, or why not
};

// TTL of the answers: synthetic addresses are stable for the whole run.
inline constexpr std::uint32_t kAnswerTtl = 60;

Outcome answer(std::span<const std::uint8_t> query, const Lookup& lookup);

// The normalized name a well-formed query (one question, class IN) asks
// about; nullopt for anything answer() would not look up.
std::optional<std::string> question_name(std::span<const std::uint8_t> query);

// A refused name as airlock shows it on stderr and in the report: a name
// carrying data out (a token, an encoded file) is what DNS exfiltration
// looks like, and a CI log is often public. A label longer than 24
// characters, or of 16 or more mixing letters and digits, is shown as
// "[N characters]"; the rest, the destination's own domain, as it is.
std::string shown_name(std::string_view name);

// Whether shown_name() left something out.
bool name_withheld(std::string_view shown);

// DNS over TCP: each message is preceded by its length (RFC 1035, 4.2.2).
class TcpFramer {
 public:
  void append(std::span<const std::uint8_t> bytes) { buffer_.insert(buffer_.end(), bytes.begin(), bytes.end()); }
  // The next complete message, if one has arrived.
  std::optional<std::vector<std::uint8_t>> next();
  std::size_t buffered() const { return buffer_.size(); }

 private:
  std::vector<std::uint8_t> buffer_;
};

std::vector<std::uint8_t> frame(std::span<const std::uint8_t> message);

}  // namespace airlock::gateway::dns
