// The DNS refuser of network.mode = "none": in a network namespace of its
// own (as root, or in a user namespace), a query gets NXDOMAIN at once and
// its name reaches the notes pipe; what the supervisor takes from the notes
// is a name or nothing.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "namespace_harness.hpp"
#include "sandbox/dns_refuser.hpp"
#include "sandbox/namespaces.hpp"
#include "sandbox/run.hpp"

namespace airlock::sandbox {
namespace {

std::vector<std::uint8_t> query_for(const std::vector<std::string>& labels, std::uint16_t id) {
  std::vector<std::uint8_t> q = {static_cast<std::uint8_t>(id >> 8), static_cast<std::uint8_t>(id), 1, 0, 0, 1, 0, 0,
                                 0, 0, 0, 0};
  for (const auto& label : labels) {
    q.push_back(static_cast<std::uint8_t>(label.size()));
    q.insert(q.end(), label.begin(), label.end());
  }
  q.insert(q.end(), {0, 0, 1, 0, 1});
  return q;
}

TEST(DnsRefuser, AnswersNxdomainAtOnceAndNotesTheName) {
  const auto run = airlock::testing::run_in_new_namespaces([](std::string& out) {
    namespaces::bring_up_loopback();
    auto notes = make_pipe();
    DnsRefuser refuser(notes.write.get());
    const int client = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in stub{};
    stub.sin_family = AF_INET;
    stub.sin_port = htons(53);
    ::inet_pton(AF_INET, "127.0.0.53", &stub.sin_addr);
    if (client < 0 || ::connect(client, reinterpret_cast<sockaddr*>(&stub), sizeof stub) != 0) return 2;
    const auto plain = query_for({"registry", "example"}, 7);
    const auto hostile = query_for({"evil\x1b[31m", "example"}, 8);
    if (::send(client, plain.data(), plain.size(), 0) < 0 || ::send(client, hostile.data(), hostile.size(), 0) < 0)
      return 3;
    refuser.serve();
    std::array<std::uint8_t, 512> reply{};
    for (int i = 0; i < 2; ++i) {
      const ssize_t n = ::recv(client, reply.data(), reply.size(), MSG_DONTWAIT);
      out += "reply id=" + std::to_string(n > 3 ? reply[1] : -1) + " rcode=" + std::to_string(n > 3 ? reply[3] & 15 : -1) +
             "\n";
    }
    notes.write.reset();
    std::string noted;
    char buf[256];
    for (ssize_t n; (n = ::read(notes.read.get(), buf, sizeof buf)) > 0;) noted.append(buf, static_cast<std::size_t>(n));
    for (const auto& name : refused_names_in(noted)) out += "named=" + name + "\n";
    return 0;
  });
  ASSERT_EQ(run.status, 0) << run.output;
  EXPECT_NE(run.output.find("reply id=7 rcode=3\n"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("reply id=8 rcode=3\n"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("named=registry.example\n"), std::string::npos) << run.output;
  EXPECT_EQ(run.output.find('\x1b'), std::string::npos) << run.output;
  EXPECT_EQ(run.output.find("named=evil"), std::string::npos) << run.output;
}

TEST(DnsRefuser, NotesCarryNamesOrNothing) {
  EXPECT_EQ(refused_names_in("processes\ndns a.example\ndns a.example\ndns [40 characters].x.example\n"),
            (std::vector<std::string>{"a.example", "[40 characters].x.example"}));
  EXPECT_TRUE(refused_names_in("dns evil\x1b[31m.example\ndns \ndns a;rm -rf\n").empty());
  EXPECT_TRUE(refused_names_in("dns unterminated.example").empty());
}

TEST(DnsRefuser, ResolvConfNamesItsAddress) {
  EXPECT_NE(refuser_resolv_conf().find("\nnameserver 127.0.0.53\n"), std::string::npos);
}

}  // namespace
}  // namespace airlock::sandbox
