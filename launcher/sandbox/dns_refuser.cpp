#include "sandbox/dns_refuser.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>

#include "gateway/dns.hpp"
#include "util/error.hpp"

namespace airlock::sandbox {
namespace {

constexpr const char* kStubAddress = "127.0.0.53";  // the allow-list gateway's stub answers here too
constexpr std::uint16_t kDnsPort = 53;

// What may reach the supervisor's stderr: a hostname's characters, and
// the brackets and spaces of a label shown_name() withheld.
bool printable_name(const std::string& name) {
  return !name.empty() && name.size() <= 300 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
           c == '_' || c == '[' || c == ']' || c == ' ';
  });
}

}  // namespace

DnsRefuser::DnsRefuser(int notes_fd) : notes_fd_(notes_fd) {
  socket_ = UniqueFd(static_cast<int>(
      check_syscall(::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), "open the DNS refuser's socket")));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(kDnsPort);
  ::inet_pton(AF_INET, kStubAddress, &address.sin_addr);
  check_syscall(::bind(socket_.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address),
                std::string("bind the DNS refuser to ") + kStubAddress + ":53");
}

void DnsRefuser::serve() {
  std::array<std::uint8_t, 1500> query{};
  const auto refuse = [](std::string_view) {
    return gateway::NameAnswer{gateway::NameAnswer::Kind::denied, {}, "network.mode = \"none\" allows no network"};
  };
  while (true) {
    sockaddr_storage from{};
    socklen_t from_size = sizeof from;
    const ssize_t n = ::recvfrom(socket_.get(), query.data(), query.size(), 0, reinterpret_cast<sockaddr*>(&from),
                                 &from_size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return;  // EAGAIN: nothing more waiting
    const auto outcome = gateway::dns::answer({query.data(), static_cast<std::size_t>(n)}, refuse);
    if (!outcome.response.empty() &&
        ::sendto(socket_.get(), outcome.response.data(), outcome.response.size(), 0,
                 reinterpret_cast<const sockaddr*>(&from), from_size) < 0) {
      // The asker is gone or its buffer is full: it times out, as it would
      // have without us.
    }
    if (outcome.result == gateway::dns::Outcome::Result::refused) note(gateway::dns::shown_name(outcome.name));
  }
}

void DnsRefuser::note(const std::string& name) {
  if (!printable_name(name) || named_.size() >= kMaxNames ||
      std::find(named_.begin(), named_.end(), name) != named_.end())
    return;
  named_.push_back(name);
  const std::string line = "dns " + name + "\n";
  // Best effort: a supervisor that is gone has nobody to tell.
  if (::write(notes_fd_, line.data(), line.size()) < 0) {
  }
}

std::string refuser_resolv_conf() {
  return std::string("# airlock: network.mode = \"none\": every name is refused at once (NXDOMAIN), and named\n"
                     "# on stderr when the command fails\n"
                     "nameserver ") +
         kStubAddress + "\n";
}

std::vector<std::string> refused_names_in(const std::string& notes) {
  std::vector<std::string> names;
  for (std::size_t start = 0, nl; (nl = notes.find('\n', start)) != std::string::npos; start = nl + 1) {
    const std::string line = notes.substr(start, nl - start);
    if (!line.starts_with("dns ")) continue;
    std::string name = line.substr(4);
    if (printable_name(name) && std::find(names.begin(), names.end(), name) == names.end())
      names.push_back(std::move(name));
  }
  return names;
}

}  // namespace airlock::sandbox
