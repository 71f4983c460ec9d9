#include "gateway/resolver.hpp"

#include <sys/timerfd.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "util/error.hpp"

namespace airlock::gateway {
namespace {

// Answers are kept at least this long (a TTL of 0 would mean one upstream
// query per connection) and at most this long.
constexpr std::chrono::seconds kMinTtl{5};
constexpr std::chrono::seconds kMaxTtl{300};
constexpr std::chrono::seconds kNegativeTtl{5};
constexpr std::size_t kMaxCached = 4096;

void init_library_once() {
  static const int status = ares_library_init(ARES_LIB_INIT_ALL);
  if (status != ARES_SUCCESS) throw Error(std::string("c-ares: ") + ares_strerror(status));
}

std::vector<IpAddress> addresses_of(const ares_addrinfo* result, int& min_ttl) {
  std::vector<IpAddress> out;
  min_ttl = static_cast<int>(kMaxTtl.count());
  for (const ares_addrinfo_node* node = result ? result->nodes : nullptr; node != nullptr; node = node->ai_next) {
    if (node->ai_addr == nullptr) continue;
    sockaddr_storage sa{};
    std::memcpy(&sa, node->ai_addr, std::min<std::size_t>(node->ai_addrlen, sizeof sa));
    auto address = SocketAddress::from_sockaddr(sa);
    if (!address || std::find(out.begin(), out.end(), address->ip) != out.end()) continue;
    out.push_back(address->ip);
    min_ttl = std::min(min_ttl, node->ai_ttl);
  }
  return out;
}

}  // namespace

Resolver::Resolver(WatchSocket watch, const std::string& servers) : watch_(std::move(watch)) {
  init_library_once();
  timer_ = UniqueFd(static_cast<int>(check_syscall(timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK),
                                                   "timerfd_create for the resolver")));
  ares_options options{};
  options.sock_state_cb = &Resolver::on_socket_state;
  options.sock_state_cb_data = this;
  const int status = ares_init_options(&channel_, &options, ARES_OPT_SOCK_STATE_CB);
  if (status != ARES_SUCCESS) throw Error(std::string("cannot start the resolver (c-ares): ") + ares_strerror(status));
  if (!servers.empty()) {
    const int set = ares_set_servers_ports_csv(channel_, servers.c_str());
    if (set != ARES_SUCCESS) {
      ares_destroy(channel_);
      throw Error("resolver servers \"" + servers + "\": " + ares_strerror(set));
    }
  }
}

Resolver::~Resolver() {
  // ares_destroy() calls every pending callback with ARES_EDESTRUCTION;
  // nothing may be run for them any more.
  destroying_ = true;
  ares_destroy(channel_);
}

void Resolver::resolve(const std::string& name, Done done) {
  if (auto it = cache_.find(name); it != cache_.end()) {
    if (std::chrono::steady_clock::now() < it->second.expires) {
      const Resolution copy = it->second.resolution;
      done(copy);
      return;
    }
    cache_.erase(it);
  }
  auto& waiters = waiting_[name];
  waiters.push_back(std::move(done));
  if (waiters.size() > 1) return;  // a query for this name is already out
  auto& arg = queries_[name];
  arg = std::make_unique<std::pair<Resolver*, std::string>>(this, name);
  ares_addrinfo_hints hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  // The trailing dot makes the name absolute: the host's search domains
  // must not turn "registry" into "registry.corp.example".
  const std::string absolute = name + ".";
  ares_getaddrinfo(channel_, absolute.c_str(), nullptr, &hints, &Resolver::on_answer, arg.get());
  rearm_timer();
}

void Resolver::on_answer(void* arg, int status, int /*timeouts*/, ares_addrinfo* result) {
  std::unique_ptr<ares_addrinfo, decltype(&ares_freeaddrinfo)> owned(result, &ares_freeaddrinfo);
  auto* query = static_cast<std::pair<Resolver*, std::string>*>(arg);
  Resolver* self = query->first;
  if (self->destroying_ || status == ARES_EDESTRUCTION) return;
  const std::string name = query->second;  // a callback below may start a new query for it
  Resolution resolution;
  int ttl = 0;
  if (status == ARES_SUCCESS) resolution.addresses = addresses_of(result, ttl);
  if (resolution.addresses.empty()) {
    resolution.error = status == ARES_SUCCESS ? "no addresses" : ares_strerror(status);
    resolution.not_found = status == ARES_SUCCESS || status == ARES_ENOTFOUND || status == ARES_ENODATA;
    self->finish(name, resolution, kNegativeTtl);
    return;
  }
  self->finish(name, resolution, std::clamp(std::chrono::seconds(ttl), kMinTtl, kMaxTtl));
}

void Resolver::finish(const std::string& name, const Resolution& resolution, std::chrono::seconds ttl) {
  const auto now = std::chrono::steady_clock::now();
  if (cache_.size() >= kMaxCached) std::erase_if(cache_, [now](const auto& entry) { return entry.second.expires <= now; });
  if (cache_.size() < kMaxCached) cache_[name] = {resolution, now + ttl};
  auto node = waiting_.extract(name);
  // The callback argument must outlive this call: c-ares is still inside it.
  // It is dropped when the next query for the name replaces it, or with us.
  if (node.empty()) return;
  for (auto& done : node.mapped()) done(resolution);
}

void Resolver::on_socket_state(void* data, ares_socket_t fd, int readable, int writable) {
  auto* self = static_cast<Resolver*>(data);
  if (self->destroying_) return;
  self->watch_(fd, readable != 0, writable != 0);
}

void Resolver::on_socket(int fd, bool readable, bool writable) {
  ares_process_fd(channel_, readable ? fd : ARES_SOCKET_BAD, writable ? fd : ARES_SOCKET_BAD);
  rearm_timer();
}

void Resolver::on_timer() {
  std::uint64_t expirations = 0;
  if (::read(timer_.get(), &expirations, sizeof expirations) < 0 && errno != EAGAIN)
    throw SystemError("read the resolver's timer", errno);
  ares_process_fd(channel_, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
  rearm_timer();
}

void Resolver::rearm_timer() {
  timeval tv{};
  itimerspec spec{};
  if (const timeval* next = ares_timeout(channel_, nullptr, &tv)) {
    spec.it_value.tv_sec = next->tv_sec;
    spec.it_value.tv_nsec = static_cast<long>(next->tv_usec) * 1000;
    // A zero it_value disarms the timer; "due now" must still fire.
    if (spec.it_value.tv_sec == 0 && spec.it_value.tv_nsec == 0) spec.it_value.tv_nsec = 1;
  }
  check_syscall(timerfd_settime(timer_.get(), 0, &spec, nullptr), "arm the resolver's timer");
}

}  // namespace airlock::gateway
