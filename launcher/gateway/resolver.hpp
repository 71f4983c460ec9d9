#pragma once
// Asynchronous name resolution for the supervisor (c-ares), driven by the
// gateway's event loop: c-ares says which sockets it wants watched, the
// loop calls back when they are ready or when the timer fires. Answers are
// cached for their TTL; concurrent requests for one name share one query.
#include <ares.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gateway/address.hpp"
#include "util/fd.hpp"

namespace airlock::gateway {

struct Resolution {
  std::vector<IpAddress> addresses;  // in c-ares's order (RFC 6724)
  std::string error;                 // set when there are none
  bool not_found = false;            // the name does not exist (NXDOMAIN, no address of any type)
};

class Resolver {
 public:
  using Done = std::function<void(const Resolution&)>;
  // Called when c-ares starts, changes or stops watching a socket.
  using WatchSocket = std::function<void(int fd, bool readable, bool writable)>;

  // Asks the servers of the host's resolv.conf, or `servers` when given
  // ("127.0.0.1:5353,[::1]:53", for tests). Throws airlock::Error when
  // c-ares cannot start.
  explicit Resolver(WatchSocket watch, const std::string& servers = {});
  ~Resolver();
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  // `done` runs once, possibly before resolve() returns (a cached answer).
  void resolve(const std::string& name, Done done);

  // A socket c-ares watches is ready.
  void on_socket(int fd, bool readable, bool writable);
  // The timer (timer_fd(), to be watched for reading) fired.
  void on_timer();
  int timer_fd() const { return timer_.get(); }

 private:
  struct Cached {
    Resolution resolution;
    std::chrono::steady_clock::time_point expires;
  };
  static void on_answer(void* arg, int status, int timeouts, ares_addrinfo* result);
  static void on_socket_state(void* data, ares_socket_t fd, int readable, int writable);
  void finish(const std::string& name, const Resolution& resolution, std::chrono::seconds ttl);
  void rearm_timer();

  WatchSocket watch_;
  UniqueFd timer_;
  ares_channel channel_ = nullptr;
  bool destroying_ = false;
  std::map<std::string, std::vector<Done>> waiting_;
  std::map<std::string, Cached> cache_;
  // Each query's callback argument: a stable pointer to its name.
  std::map<std::string, std::unique_ptr<std::pair<Resolver*, std::string>>> queries_;
};

}  // namespace airlock::gateway
