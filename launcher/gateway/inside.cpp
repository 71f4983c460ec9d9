#include "gateway/inside.hpp"

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "gateway/channel.hpp"
#include "gateway/attempt_watch.hpp"
#include "util/error.hpp"

// Linux 4.15, in <linux/in6.h>, which clashes with glibc's <netinet/in.h>.
#ifndef IPV6_FREEBIND
#define IPV6_FREEBIND 78
#endif

namespace airlock::gateway {
namespace {

// One RTM_NEWROUTE request: header, rtmsg, then RTA_DST and RTA_OIF.
struct RouteRequest {
  nlmsghdr header;
  rtmsg route;
  char attributes[64];
};

void add_attribute(RouteRequest& request, unsigned short type, const void* data, std::size_t size) {
  const std::size_t offset = NLMSG_ALIGN(request.header.nlmsg_len);
  const std::size_t length = RTA_LENGTH(size);
  if (offset + RTA_ALIGN(length) > sizeof request) throw Error("internal: route request too large");
  rtattr attribute{};
  attribute.rta_type = type;
  attribute.rta_len = static_cast<unsigned short>(length);
  auto* base = reinterpret_cast<char*>(&request);
  std::memcpy(base + offset, &attribute, sizeof attribute);
  std::memcpy(base + offset + RTA_LENGTH(0), data, size);
  request.header.nlmsg_len = static_cast<std::uint32_t>(offset + RTA_ALIGN(length));
}

// Waits for the kernel's acknowledgement (NLM_F_ACK): an nlmsgerr whose
// error is 0 on success, -errno on failure (netlink(7)).
void expect_ack(int sock, std::uint32_t sequence, const std::string& what) {
  alignas(nlmsghdr) char buffer[1024];
  while (true) {
    const ssize_t got = ::recv(sock, buffer, sizeof buffer, 0);
    if (got < 0 && errno == EINTR) continue;
    check_syscall(got, what + ": read the netlink answer");
    // NLMSG_OK/NLMSG_NEXT spelled out: the macros use C casts.
    std::size_t offset = 0;
    const auto total = static_cast<std::size_t>(got);
    while (offset + sizeof(nlmsghdr) <= total) {
      nlmsghdr h{};
      std::memcpy(&h, buffer + offset, sizeof h);
      if (h.nlmsg_len < sizeof h || offset + h.nlmsg_len > total) break;
      if (h.nlmsg_seq == sequence && h.nlmsg_type == NLMSG_ERROR && h.nlmsg_len >= NLMSG_LENGTH(sizeof(nlmsgerr))) {
        nlmsgerr err{};
        std::memcpy(&err, buffer + offset + NLMSG_HDRLEN, sizeof err);
        if (err.error != 0) throw SystemError(what, -err.error);
        return;
      }
      offset += NLMSG_ALIGN(h.nlmsg_len);
    }
  }
}

int bind_and_listen(int fd, const SocketAddress& address, Transport transport, const std::string& what) {
  socklen_t length = 0;
  const auto sa = address.to_sockaddr(length);
  check_syscall(::bind(fd, reinterpret_cast<const sockaddr*>(&sa), length), what + ": bind");
  if (transport == Transport::tcp) check_syscall(::listen(fd, SOMAXCONN), what + ": listen");
  return fd;
}

void set_option(int fd, int level, int name, int value, const std::string& what) {
  check_syscall(::setsockopt(fd, level, name, &value, sizeof value), what);
}

}  // namespace

void add_local_routes(const std::vector<Route>& routes) {
  if (routes.empty()) return;
  UniqueFd sock(static_cast<int>(
      check_syscall(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE), "open a netlink socket")));
  const unsigned loopback = ::if_nametoindex("lo");
  if (loopback == 0) throw SystemError("find the loopback interface", errno);
  std::uint32_t sequence = 0;
  for (const auto& route : routes) {
    const std::string what = "add the local route " + route.network.str() + "/" + std::to_string(route.prefix) +
                             " (for network.allow \"" + route.rule + "\")";
    RouteRequest request{};
    request.header.nlmsg_len = NLMSG_LENGTH(sizeof(rtmsg));
    request.header.nlmsg_type = RTM_NEWROUTE;
    // REPLACE rather than EXCL: the kernel's own local routes (an address
    // on lo) may already cover the same prefix.
    request.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE;
    request.header.nlmsg_seq = ++sequence;
    request.route.rtm_family = static_cast<unsigned char>(route.network.family);
    request.route.rtm_dst_len = static_cast<unsigned char>(route.prefix);
    request.route.rtm_table = RT_TABLE_LOCAL;
    request.route.rtm_protocol = RTPROT_STATIC;
    request.route.rtm_scope = RT_SCOPE_HOST;
    request.route.rtm_type = RTN_LOCAL;
    add_attribute(request, RTA_DST, route.network.bytes.data(), route.network.size());
    const std::uint32_t oif = loopback;
    add_attribute(request, RTA_OIF, &oif, sizeof oif);
    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    check_syscall(::sendto(sock.get(), &request, request.header.nlmsg_len, 0, reinterpret_cast<sockaddr*>(&kernel),
                           sizeof kernel),
                  what);
    expect_ack(sock.get(), sequence, what);
  }
}

UniqueFd open_listener(const Listener& listener) {
  if (listener.transport == Transport::packet) return open_attempt_watch();
  const int type = (listener.transport == Transport::tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC;
  const std::string what = "gateway listener (" + listener.purpose + ")";
  if (listener.any_address) {
    // One dual-stack socket serves IPv4 (as v4-mapped addresses) and IPv6;
    // a kernel without IPv6 gets an IPv4 one.
    UniqueFd fd(::socket(AF_INET6, type, 0));
    if (fd) {
      set_option(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, 0, what + ": IPV6_V6ONLY");
      bind_and_listen(fd.get(), {*IpAddress::parse("::"), listener.address.port}, listener.transport, what);
      return fd;
    }
    if (errno != EAFNOSUPPORT) throw SystemError(what, errno);
    fd.reset(static_cast<int>(check_syscall(::socket(AF_INET, type, 0), what)));
    bind_and_listen(fd.get(), {IpAddress::v4(0, 0, 0, 0), listener.address.port}, listener.transport, what);
    return fd;
  }
  const int family = listener.address.ip.family;
  UniqueFd fd(static_cast<int>(check_syscall(::socket(family, type, 0), what)));
  if (family == AF_INET6) set_option(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, 1, what + ": IPV6_V6ONLY");
  bind_and_listen(fd.get(), listener.address, listener.transport, what);
  return fd;
}

int open_catcher(const SocketAddress& address, UniqueFd& out) {
  try {
    if (!address.ip.is_loopback())
      add_local_routes({Route{address.ip, static_cast<unsigned>(address.ip.size() * 8), address.ip.str()}});
  } catch (const SystemError& e) {
    return e.error_number();
  } catch (const Error&) {
    return EINVAL;
  }
  UniqueFd fd(::socket(address.ip.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) return errno;
  const int on = 1;
  // An IPv6 address under a local route is not assigned to an interface,
  // which bind(2) wants unless the socket may bind any address (ipv6(7)).
  const bool v6 = address.ip.family == AF_INET6;
  if ((v6 && (::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on) != 0 ||
              ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_FREEBIND, &on, sizeof on) != 0)) ||
      (!v6 && ::setsockopt(fd.get(), IPPROTO_IP, IP_FREEBIND, &on, sizeof on) != 0))
    return errno;
  // Connections an earlier catcher accepted may still be open on this
  // address and port (a client that keeps connecting to the same server):
  // they must not make it look taken. A listener of the command's own still
  // does (EADDRINUSE: it is served inside).
  if (::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0) return errno;
  socklen_t length = 0;
  const auto sa = address.to_sockaddr(length);
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&sa), length) != 0 || ::listen(fd.get(), SOMAXCONN) != 0)
    return errno;
  out = std::move(fd);
  return 0;
}

void set_up_inside(const Config& config, int channel) {
  add_local_routes(config.routes);
  std::vector<UniqueFd> batch;
  std::vector<int> raw;
  std::size_t first = 0;
  auto flush = [&] {
    if (batch.empty()) return;
    raw.clear();
    for (const auto& fd : batch) raw.push_back(fd.get());
    channel::send(channel, {channel::Kind::listeners, static_cast<std::int32_t>(first)}, raw);
    first += batch.size();
    batch.clear();  // the supervisor holds them now
  };
  for (const auto& listener : config.listeners) {
    batch.push_back(open_listener(listener));
    if (batch.size() == channel::kMaxFdsPerMessage) flush();
  }
  flush();
  channel::send(channel, {channel::Kind::listeners_done, static_cast<std::int32_t>(config.listeners.size())});
}

bool serve_request(int channel) {
  std::vector<UniqueFd> ignored;
  auto request = channel::receive(channel, ignored);
  if (!request) return false;
  if (request->kind == channel::Kind::listen_request) {
    IpAddress ip;
    ip.family = request->value == AF_INET6 ? AF_INET6 : AF_INET;
    ip.bytes = request->address;
    UniqueFd listener;
    const int err = open_catcher({ip, request->port}, listener);
    const int raw = listener.get();
    channel::Message reply = *request;  // the address, so the supervisor can match it to its request
    reply.kind = channel::Kind::listen_reply;
    reply.value = err;
    channel::send(channel, reply, listener ? std::span<const int>(&raw, 1) : std::span<const int>());
    return true;
  }
  if (request->kind != channel::Kind::socket_request) return true;
  const int family = request->value == AF_INET6 ? AF_INET6 : AF_INET;
  UniqueFd fd(::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) {
    channel::send(channel, {channel::Kind::socket_reply, errno});
    return true;
  }
  const int raw = fd.get();
  channel::send(channel, {channel::Kind::socket_reply, 0}, std::span<const int>(&raw, 1));
  return true;
}

}  // namespace airlock::gateway
