// The c-ares resolver, against a DNS responder the test runs on 127.0.0.1
// (never the host's resolver): answers, caching, one query per name for
// concurrent requests, failures.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <map>
#include <mutex>
#include <thread>

#include "gateway/relay.hpp"
#include "gateway/resolver.hpp"
#include "util/error.hpp"

namespace airlock::gateway {
namespace {

// Answers A queries from a table, AAAA with no data, others NXDOMAIN;
// counts the queries per name.
class Responder {
 public:
  explicit Responder(std::map<std::string, std::string> table) : table_(std::move(table)) {
    fd_.reset(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    socklen_t length = 0;
    const SocketAddress any{IpAddress::v4(127, 0, 0, 1), 0};
    auto sa = any.to_sockaddr(length);
    EXPECT_EQ(::bind(fd_.get(), reinterpret_cast<const sockaddr*>(&sa), length), 0);
    sockaddr_storage local{};
    length = sizeof local;
    ::getsockname(fd_.get(), reinterpret_cast<sockaddr*>(&local), &length);
    address_ = *SocketAddress::from_sockaddr(local);
    thread_ = std::thread([this] { serve(); });
  }
  ~Responder() {
    stop_ = true;
    ::shutdown(fd_.get(), SHUT_RDWR);
    thread_.join();
  }
  std::string server() const { return address_.str(); }
  int queries(const std::string& name) {
    std::lock_guard lock(mutex_);
    return counts_[name];
  }

 private:
  void serve() {
    while (!stop_) {
      std::uint8_t q[512];
      sockaddr_storage peer{};
      socklen_t peer_length = sizeof peer;
      const ssize_t n = ::recvfrom(fd_.get(), q, sizeof q, 0, reinterpret_cast<sockaddr*>(&peer), &peer_length);
      if (n < 17) continue;
      std::string name;
      std::size_t pos = 12;
      while (pos < static_cast<std::size_t>(n) && q[pos] != 0) {
        if (!name.empty()) name += '.';
        name.append(reinterpret_cast<const char*>(q + pos + 1), q[pos]);
        pos += 1u + q[pos];
      }
      const std::size_t end = pos + 5;
      const int type = q[pos + 1] << 8 | q[pos + 2];
      {
        std::lock_guard lock(mutex_);
        if (type == 1) ++counts_[name];
      }
      std::vector<std::uint8_t> r(q, q + end);
      r[2] = 0x81;
      r[3] = 0x80;
      auto it = table_.find(name);
      if (it == table_.end()) {
        r[3] |= 3;  // NXDOMAIN
      } else if (type == 1) {
        r[7] = 1;  // ANCOUNT
        const auto ip = IpAddress::parse(it->second).value();
        const std::uint8_t rr[] = {0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 30, 0, 4};
        r.insert(r.end(), rr, rr + sizeof rr);
        r.insert(r.end(), ip.bytes.begin(), ip.bytes.begin() + 4);
      }
      (void)::sendto(fd_.get(), r.data(), r.size(), 0, reinterpret_cast<sockaddr*>(&peer), peer_length);
    }
  }

  std::map<std::string, std::string> table_;
  UniqueFd fd_;
  SocketAddress address_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::map<std::string, int> counts_;
};

// The resolver driven by a poller, as the gateway drives it.
struct Driven {
  Poller poller;
  std::map<int, bool> watched;
  std::unique_ptr<Resolver> resolver;

  explicit Driven(const std::string& servers) {
    resolver = std::make_unique<Resolver>(
        [this](int fd, bool r, bool w) {
          const std::uint32_t events = (r ? EPOLLIN : 0u) | (w ? EPOLLOUT : 0u);
          if (events == 0) {
            if (watched.erase(fd)) poller.remove(fd);
          } else if (watched.emplace(fd, true).second) {
            poller.add(fd, static_cast<std::uint64_t>(fd), events);
          } else {
            poller.modify(fd, static_cast<std::uint64_t>(fd), events);
          }
        },
        servers);
    poller.add(resolver->timer_fd(), ~std::uint64_t{0}, EPOLLIN);
  }

  void run_until(const std::function<bool()>& done) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    epoll_event events[16];
    while (!done() && std::chrono::steady_clock::now() < end) {
      for (const auto& ev : poller.wait(events, 50)) {
        if (ev.data.u64 == ~std::uint64_t{0}) {
          resolver->on_timer();
        } else {
          resolver->on_socket(static_cast<int>(ev.data.u64), (ev.events & (EPOLLIN | EPOLLERR)) != 0,
                              (ev.events & EPOLLOUT) != 0);
        }
      }
    }
  }
};

TEST(GatewayResolver, ResolvesCachesAndCoalesces) {
  Responder dns({{"api.test", "203.0.113.7"}, {"b.test", "198.51.100.2"}});
  Driven d(dns.server());
  std::vector<Resolution> got;
  d.resolver->resolve("api.test", [&](const Resolution& r) { got.push_back(r); });
  d.run_until([&] { return got.size() == 1; });
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].error, "");
  ASSERT_EQ(got[0].addresses.size(), 1u);
  EXPECT_EQ(got[0].addresses[0].str(), "203.0.113.7");

  bool synchronous = false;
  d.resolver->resolve("api.test", [&](const Resolution& r) {
    synchronous = true;
    got.push_back(r);
  });
  EXPECT_TRUE(synchronous) << "a cached answer comes at once";
  EXPECT_EQ(dns.queries("api.test"), 1);

  int b_answers = 0;
  for (int i = 0; i < 5; ++i) d.resolver->resolve("b.test", [&](const Resolution&) { ++b_answers; });
  d.run_until([&] { return b_answers == 5; });
  EXPECT_EQ(b_answers, 5);
  EXPECT_EQ(dns.queries("b.test"), 1) << "concurrent requests share one query";
}

TEST(GatewayResolver, UnknownNamesFail) {
  Responder dns({});
  Driven d(dns.server());
  std::optional<Resolution> got;
  d.resolver->resolve("nowhere.test", [&](const Resolution& r) { got = r; });
  d.run_until([&] { return got.has_value(); });
  ASSERT_TRUE(got);
  EXPECT_TRUE(got->addresses.empty());
  EXPECT_FALSE(got->error.empty());
}

TEST(GatewayResolver, PendingQueriesAreDroppedWithTheResolver) {
  // A server that never answers: destroying the resolver must not call back.
  UniqueFd silent(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  SocketAddress address{IpAddress::v4(127, 0, 0, 1), 0};
  socklen_t length = 0;
  auto sa = address.to_sockaddr(length);
  ASSERT_EQ(::bind(silent.get(), reinterpret_cast<const sockaddr*>(&sa), length), 0);
  sockaddr_storage local{};
  length = sizeof local;
  ::getsockname(silent.get(), reinterpret_cast<sockaddr*>(&local), &length);
  bool called = false;
  {
    Driven d(SocketAddress::from_sockaddr(local)->str());
    d.resolver->resolve("slow.test", [&](const Resolution&) { called = true; });
  }
  EXPECT_FALSE(called);
  EXPECT_THROW(Driven("not a server list"), Error);
}

}  // namespace
}  // namespace airlock::gateway
