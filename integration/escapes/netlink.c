/*
 * netlink: administer the network through netlink, which needs
 * CAP_NET_ADMIN over the network namespace: add an address to lo
 * (NETLINK_ROUTE RTM_NEWADDR), create a link (RTM_NEWLINK, type dummy),
 * create an nf_tables table (NETLINK_NETFILTER), and query the audit
 * subsystem (NETLINK_AUDIT AUDIT_GET, init namespace only).
 *
 * Modelled on CVE-2022-1015 and CVE-2023-32233 (nf_tables bugs reached by
 * unprivileged users holding CAP_NET_ADMIN in a user namespace's network
 * namespace); the audit subsystem answers the initial namespaces only.
 */
#include "escape.h"

#include <linux/audit.h>
#include <linux/if_addr.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#define ALIGN4(n) (((n) + 3U) & ~3U)

struct msg {
  unsigned char buf[1024];
  size_t len;
};

static struct nlmsghdr *begin(struct msg *m, unsigned short type, unsigned short flags, unsigned seq) {
  struct nlmsghdr *h = (struct nlmsghdr *)(m->buf + m->len);
  memset(h, 0, sizeof *h);
  h->nlmsg_type = type;
  h->nlmsg_flags = flags;
  h->nlmsg_seq = seq;
  h->nlmsg_len = NLMSG_HDRLEN;
  return h;
}
static void put(struct nlmsghdr *h, const void *data, size_t n) {
  memcpy((unsigned char *)h + h->nlmsg_len, data, n);
  h->nlmsg_len = (unsigned)ALIGN4(h->nlmsg_len + n);
}
static void attr(struct nlmsghdr *h, unsigned short type, const void *data, size_t n) {
  struct nlattr a = {.nla_len = (unsigned short)(NLA_HDRLEN + n), .nla_type = type};
  unsigned char *at = (unsigned char *)h + h->nlmsg_len;
  memcpy(at, &a, sizeof a);
  memcpy(at + NLA_HDRLEN, data, n);
  h->nlmsg_len = (unsigned)ALIGN4(h->nlmsg_len + NLA_HDRLEN + n);
}
static void end(struct msg *m, struct nlmsghdr *h) { m->len += h->nlmsg_len; }

/* Sends the messages and returns the errno of the first error ack (0 for
 * success; nfnetlink may answer a batch on its first message), or a
 * negative errno of the socket calls. `seq` is the message whose success
 * counts. */
static int exchange(int protocol, struct msg *m, unsigned seq) {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol);
  if (fd < 0) return -errno;
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  if (sendto(fd, m->buf, m->len, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) {
    int err = errno;
    close(fd);
    return -err;
  }
  unsigned char reply[8192];
  for (int rounds = 0; rounds < 8; rounds++) {
    ssize_t n = recv_within(fd, (char *)reply, sizeof reply, 1000);
    if (n <= 0) break;
    for (struct nlmsghdr *h = (struct nlmsghdr *)reply; NLMSG_OK(h, (unsigned)n); h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_type == NLMSG_ERROR) {
        int err = -((struct nlmsgerr *)NLMSG_DATA(h))->error;
        if (err == 0 && h->nlmsg_seq != seq) continue; /* the ack of a batch marker */
        close(fd);
        return err;
      }
      if (h->nlmsg_type != NLMSG_ERROR && h->nlmsg_seq == seq && protocol == NETLINK_AUDIT) {
        close(fd);
        return 0; /* an AUDIT_GET reply: the status was read */
      }
    }
  }
  close(fd);
  return -ETIMEDOUT;
}

/* The privilege check comes first in the kernel: EPERM (or, for audit,
 * ECONNREFUSED outside the initial namespaces) is a refusal; any other
 * error means the check passed and the request failed for another reason. */
static void judge(const char *check, const char *what, int rc) {
  if (rc == 0) escaped(check, "%s was accepted", what);
  else if (rc == -EPROTONOSUPPORT) skipped(check, "%s: the kernel lacks this netlink family (EPROTONOSUPPORT)", what);
  else if (rc < 0) held(check, "%s: %s", what, errname(-rc));
  else if (rc == EPERM || rc == ECONNREFUSED) held(check, "%s: %s", what, errname(rc));
  else escaped(check, "%s passed the privilege check (%s)", what, errname(rc));
}

static void add_address(void) {
  struct msg m = {.len = 0};
  struct nlmsghdr *h = begin(&m, RTM_NEWADDR, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, 1);
  struct ifaddrmsg ifa = {.ifa_family = AF_INET, .ifa_prefixlen = 32, .ifa_index = 1 /* lo */};
  put(h, &ifa, sizeof ifa);
  unsigned char addr[4] = {10, 99, 99, 1};
  attr(h, IFA_LOCAL, addr, 4);
  attr(h, IFA_ADDRESS, addr, 4);
  end(&m, h);
  judge("route-newaddr", "RTM_NEWADDR 10.99.99.1/32 on lo", exchange(NETLINK_ROUTE, &m, 1));
}

static void add_link(void) {
  struct msg m = {.len = 0};
  struct nlmsghdr *h = begin(&m, RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, 2);
  struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
  put(h, &ifi, sizeof ifi);
  attr(h, IFLA_IFNAME, "escape0", 8);
  /* IFLA_LINKINFO { IFLA_INFO_KIND "dummy" } */
  unsigned char nested[16];
  struct nlattr kind = {.nla_len = NLA_HDRLEN + 6, .nla_type = IFLA_INFO_KIND};
  memcpy(nested, &kind, sizeof kind);
  memcpy(nested + NLA_HDRLEN, "dummy", 6);
  attr(h, IFLA_LINKINFO, nested, ALIGN4(NLA_HDRLEN + 6));
  end(&m, h);
  judge("route-newlink", "RTM_NEWLINK dummy escape0", exchange(NETLINK_ROUTE, &m, 2));
}

static void add_nft_table(void) {
  struct msg m = {.len = 0};
  struct nfgenmsg nfg = {.nfgen_family = AF_UNSPEC, .version = NFNETLINK_V0, .res_id = htons(NFNL_SUBSYS_NFTABLES)};
  struct nlmsghdr *h = begin(&m, NFNL_MSG_BATCH_BEGIN, NLM_F_REQUEST, 10);
  put(h, &nfg, sizeof nfg);
  end(&m, h);
  h = begin(&m, (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWTABLE, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE, 11);
  struct nfgenmsg inet = {.nfgen_family = 1 /* NFPROTO_INET */, .version = NFNETLINK_V0};
  put(h, &inet, sizeof inet);
  attr(h, NFTA_TABLE_NAME, "airlock_escape", 15);
  end(&m, h);
  h = begin(&m, NFNL_MSG_BATCH_END, NLM_F_REQUEST, 12);
  put(h, &nfg, sizeof nfg);
  end(&m, h);
  judge("nftables-newtable", "NFT_MSG_NEWTABLE inet airlock_escape", exchange(NETLINK_NETFILTER, &m, 11));
}

static void audit_get(void) {
  struct msg m = {.len = 0};
  struct nlmsghdr *h = begin(&m, AUDIT_GET, NLM_F_REQUEST | NLM_F_ACK, 20);
  end(&m, h);
  judge("audit-get", "AUDIT_GET (audit status)", exchange(NETLINK_AUDIT, &m, 20));
}

int main(int argc, char **argv) {
  escape_init("netlink", argc, argv);
  add_address();
  add_link();
  add_nft_table();
  audit_get();
  return 0;
}
