// The gateway's handoff as data: which connect() is handed over, made on the
// command's own socket, answered from a handed-over socket's state, or left
// to the kernel; where a socket of each family connects; what a handed-over
// socket answers. (integration/test_gateway_handoff.sh runs it for real.)
#include <gtest/gtest.h>
#include <netinet/tcp.h>

#include "gateway/config.hpp"
#include "gateway/handoff.hpp"
#include "policy/egress.hpp"

namespace airlock::gateway {
namespace {

IpAddress ip(const char* text) { return IpAddress::parse(text).value(); }

struct Fixture {
  Config config;
  Matcher matcher;
  SyntheticAddresses synthetic;

  static policy::Network network() {
    policy::Network network;
    network.mode = policy::NetworkMode::allowlist;
    std::string why;
    network.allow.push_back(*policy::parse_egress_rule("allowed.test:443", why));
    network.allow.push_back(*policy::parse_egress_rule("203.0.113.20:443", why));
    network.forward.push_back({"127.0.0.1", 5432, {}, "127.0.0.1:5432"});
    return network;
  }
  Fixture()
      : config(build(network())),
        matcher(config.network),
        synthetic(config.synthetic_network, config.synthetic_prefix) {}

  ConnectHandling handling(const SocketFacts& socket, int family, std::optional<SocketAddress> to) const {
    return connect_handling(config, matcher, synthetic, socket, {family, to, true});
  }
  ConnectHandling handling_of_request(const SocketFacts& socket, const ConnectRequest& request) const {
    return connect_handling(config, matcher, synthetic, socket, request);
  }
};

SocketFacts tcp_socket(int domain = AF_INET) {
  SocketFacts s;
  s.domain = domain;
  s.stream = true;
  s.protocol = IPPROTO_TCP;
  return s;
}

using Kind = ConnectHandling::Kind;

TEST(HandoffConnect, AnAllowedAddressOrNameIsHandedOver) {
  Fixture f;
  const auto address = f.handling(tcp_socket(), AF_INET, SocketAddress{ip("203.0.113.20"), 443});
  EXPECT_EQ(address.kind, Kind::hand_off);
  EXPECT_EQ(address.decision.action, Decision::Action::connect);
  EXPECT_EQ(address.decision.target, (SocketAddress{ip("203.0.113.20"), 443}));

  const IpAddress synthetic = f.synthetic.address_for("allowed.test").value();
  const auto name = f.handling(tcp_socket(AF_INET6), AF_INET, SocketAddress{synthetic, 443});
  EXPECT_EQ(name.kind, Kind::hand_off);
  EXPECT_EQ(name.decision.action, Decision::Action::resolve);
  EXPECT_EQ(name.decision.name, "allowed.test");
}

TEST(HandoffConnect, EverythingElseOnATcpSocketIsConnectedInTheSandbox) {
  Fixture f;
  // A denied address or port, a forward, DNS over TCP to the stub, the
  // sandbox's own loopback server: the same connect(), inside.
  for (const auto& to : {SocketAddress{ip("203.0.113.21"), 443}, SocketAddress{ip("203.0.113.20"), 80},
                         SocketAddress{ip("127.0.0.1"), 5432}, f.config.dns, SocketAddress{ip("127.0.0.1"), 8080}}) {
    EXPECT_EQ(f.handling(tcp_socket(), AF_INET, to).kind, Kind::on_socket) << to.str();
  }
  EXPECT_EQ(f.handling(tcp_socket(), AF_UNSPEC, std::nullopt).kind, Kind::on_socket);  // a disconnect
  EXPECT_EQ(f.handling(tcp_socket(), AF_UNIX, std::nullopt).kind, Kind::on_socket);    // EAFNOSUPPORT, from the kernel
  SocketFacts bound = tcp_socket();
  bound.bound = true;  // bind() first: the command chose its side; relayed
  EXPECT_EQ(f.handling(bound, AF_INET, SocketAddress{ip("203.0.113.20"), 443}).kind, Kind::on_socket);
  SocketFacts mptcp = tcp_socket();
  mptcp.protocol = 262;  // IPPROTO_MPTCP: Landlock counts it as TCP
  EXPECT_EQ(f.handling(mptcp, AF_INET, SocketAddress{ip("203.0.113.20"), 443}).kind, Kind::hand_off);
}

TEST(HandoffConnect, OtherSocketsAreLeftToTheKernel) {
  Fixture f;
  SocketFacts unix_socket;
  unix_socket.domain = AF_UNIX;
  unix_socket.stream = true;
  EXPECT_EQ(f.handling(unix_socket, AF_UNIX, std::nullopt).kind, Kind::let_kernel);
  SocketFacts udp = tcp_socket();
  udp.stream = false;
  udp.protocol = IPPROTO_UDP;
  EXPECT_EQ(f.handling(udp, AF_INET, SocketAddress{ip("203.0.113.20"), 443}).kind, Kind::let_kernel);
}

TEST(HandoffConnect, AHandedOverSocketNeverConnectsAgain) {
  Fixture f;
  SocketFacts handed = tcp_socket();
  handed.in_sandbox = false;
  const auto disconnect = f.handling(handed, AF_UNSPEC, std::nullopt);
  EXPECT_EQ(disconnect.kind, Kind::peer_state);
  EXPECT_EQ(disconnect.error, EOPNOTSUPP);
  // Even to an allowed destination: it is answered from its state.
  const auto again = f.handling(handed, AF_INET, SocketAddress{ip("203.0.113.20"), 443});
  EXPECT_EQ(again.kind, Kind::peer_state);
  EXPECT_EQ(again.error, 0);
  EXPECT_EQ(f.handling(handed, AF_INET, SocketAddress{ip("203.0.113.21"), 443}).kind, Kind::peer_state);
}

TEST(HandoffConnect, MalformedOrMismatchedAddressesGetTheKernelsAnswer) {
  Fixture f;
  const SocketAddress allowed{ip("203.0.113.20"), 443};
  EXPECT_EQ(f.handling_of_request(tcp_socket(), {AF_INET, allowed, false}).kind, Kind::on_socket);  // too short: EINVAL
  const SocketAddress v6{ip("2001:db8::10"), 443};
  EXPECT_EQ(f.handling(tcp_socket(AF_INET), AF_INET6, v6).kind, Kind::on_socket);  // EAFNOSUPPORT
}

TEST(HandoffSocketCalls, ListenAndTcpBindAreTheSupervisorsAndNeverOnAHandedOverSocket) {
  using CallKind = CallHandling::Kind;
  SocketFacts handed = tcp_socket();
  handed.in_sandbox = false;
  for (const auto call : {SocketCall::bind, SocketCall::listen}) {
    const auto handling = socket_call_handling(call, handed, 47000, true);
    EXPECT_EQ(handling.kind, CallKind::refuse);
    EXPECT_EQ(handling.error, EINVAL);
  }
  EXPECT_EQ(socket_call_handling(SocketCall::listen, tcp_socket(), std::nullopt, false).kind, CallKind::on_socket);
  EXPECT_EQ(socket_call_handling(SocketCall::bind, tcp_socket(), 8080, false).kind, CallKind::on_socket);
  EXPECT_EQ(socket_call_handling(SocketCall::bind, tcp_socket(), 0, false).kind, CallKind::on_socket);
  // The supervisor holds every capability in the sandbox: it binds a low
  // port only for a command that holds CAP_NET_BIND_SERVICE.
  const auto low = socket_call_handling(SocketCall::bind, tcp_socket(), 80, false);
  EXPECT_EQ(low.kind, CallKind::refuse);
  EXPECT_EQ(low.error, EACCES);
  EXPECT_EQ(socket_call_handling(SocketCall::bind, tcp_socket(), 80, true).kind, CallKind::on_socket);
  // A unix socket's path is the command's to resolve; UDP is not handed over.
  SocketFacts unix_socket;
  unix_socket.domain = AF_UNIX;
  unix_socket.stream = true;
  EXPECT_EQ(socket_call_handling(SocketCall::bind, unix_socket, std::nullopt, false).kind, CallKind::let_kernel);
  EXPECT_EQ(socket_call_handling(SocketCall::listen, unix_socket, std::nullopt, false).kind, CallKind::on_socket);
  SocketFacts udp = tcp_socket();
  udp.stream = false;
  udp.protocol = IPPROTO_UDP;
  EXPECT_EQ(socket_call_handling(SocketCall::bind, udp, 53, false).kind, CallKind::let_kernel);
  // A listening socket of the host's passed in (socket activation): listen()
  // again only sets its backlog. Not a socket at all: the kernel's ENOTSOCK.
  SocketFacts activated = handed;
  activated.tcp_state = TCP_LISTEN;
  EXPECT_EQ(socket_call_handling(SocketCall::listen, activated, std::nullopt, false).kind, CallKind::on_socket);
  EXPECT_EQ(socket_call_handling(SocketCall::bind, activated, 8080, false).kind, CallKind::refuse);
  SocketFacts file;
  file.in_sandbox = false;
  EXPECT_EQ(socket_call_handling(SocketCall::listen, file, std::nullopt, false).kind, CallKind::on_socket);
  EXPECT_EQ(socket_call_handling(SocketCall::bind, file, std::nullopt, false).kind, CallKind::let_kernel);
}

TEST(HandoffAnswer, FromTheStateOfAHandedOverSocket) {
  EXPECT_EQ(handed_over_answer(TCP_SYN_SENT, 0), EALREADY);
  EXPECT_EQ(handed_over_answer(TCP_CLOSE, ECONNREFUSED), ECONNREFUSED);
  EXPECT_EQ(handed_over_answer(TCP_CLOSE, 0), ECONNABORTED);
  EXPECT_EQ(handed_over_answer(TCP_ESTABLISHED, 0), std::nullopt);  // the kernel says 0 or EISCONN
  EXPECT_EQ(handed_over_answer(TCP_CLOSE_WAIT, 0), std::nullopt);
}

TEST(HandoffAddress, EachFamilyReachesWhatItCan) {
  socklen_t length = 0;
  const SocketAddress v4{ip("203.0.113.20"), 443};
  const SocketAddress v6{ip("2001:db8::10"), 80};

  auto a = address_for(AF_INET, false, v4, length);
  ASSERT_TRUE(a);
  EXPECT_EQ(length, sizeof(sockaddr_in));
  EXPECT_EQ(SocketAddress::from_sockaddr(*a), v4);

  auto mapped = address_for(AF_INET6, false, v4, length);
  ASSERT_TRUE(mapped);
  EXPECT_EQ(mapped->ss_family, AF_INET6);
  EXPECT_EQ(length, sizeof(sockaddr_in6));
  EXPECT_EQ(SocketAddress::from_sockaddr(*mapped), v4);  // ::ffff:203.0.113.20

  EXPECT_FALSE(address_for(AF_INET6, true, v4, length));  // IPV6_V6ONLY
  EXPECT_FALSE(address_for(AF_INET, false, v6, length));
  auto six = address_for(AF_INET6, true, v6, length);
  ASSERT_TRUE(six);
  EXPECT_EQ(SocketAddress::from_sockaddr(*six), v6);
}

TEST(HandoffOptions, BufferSizesAndTimeoutsAreAmongTheCopiedOptions) {
  for (int domain : {AF_INET, AF_INET6}) {
    bool rcvbuf = false, timeout = false, nodelay = false;
    for (const auto& option : copied_options(domain)) {
      rcvbuf = rcvbuf || (option.level == SOL_SOCKET && option.name == SO_RCVBUF);
      timeout = timeout || (option.level == SOL_SOCKET && option.name == SO_SNDTIMEO);
      nodelay = nodelay || (option.level == IPPROTO_TCP && option.name == TCP_NODELAY);
    }
    EXPECT_TRUE(rcvbuf && timeout && nodelay) << domain;
  }
}

}  // namespace
}  // namespace airlock::gateway
