// Benchmark client and server for the egress gateway (run_gateway_bench.sh
// drives it). The same client runs once on the host, straight to the
// server on loopback, and once inside `airlock run`, where the connection
// goes through the gateway; the script compares the two.
//
//   gateway_bench server PORT
//   gateway_bench throughput HOST PORT MIB    -> "throughput_mib_s <rate>"
//   gateway_bench latency HOST PORT COUNT     -> "latency_us median <m> p90 <p>"
//   gateway_bench concurrent HOST PORT COUNT  -> holds COUNT connections open;
//        prints READY / OPEN / CLOSED and waits for a line on stdin after each,
//        so the script can count the supervisor's descriptors at each step.
//
// Server protocol: the first byte picks the mode. 'T': read to EOF, answer
// the byte count (8 bytes), close. 'P': answer every byte with 'p'.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void die(const char* what) {
  std::perror(what);
  std::exit(1);
}

void raise_nofile() {
  rlimit r{};
  if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
    r.rlim_cur = r.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &r) != 0) die("setrlimit");
  }
}

sockaddr_in address(const char* host, int port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<std::uint16_t>(port));
  if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) die("inet_pton");
  return sa;
}

int dial(const sockaddr_in& sa) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) die("socket");
  if (connect(fd, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0) die("connect");
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

void write_all(int fd, const void* data, std::size_t n) {
  const auto* p = static_cast<const char*>(data);
  while (n > 0) {
    const ssize_t w = write(fd, p, n);
    if (w <= 0) die("write");
    p += w;
    n -= static_cast<std::size_t>(w);
  }
}

void read_exact(int fd, void* data, std::size_t n) {
  auto* p = static_cast<char*>(data);
  while (n > 0) {
    const ssize_t r = read(fd, p, n);
    if (r <= 0) die("read");
    p += r;
    n -= static_cast<std::size_t>(r);
  }
}

// ---- server

struct Conn {
  char mode = 0;
  std::uint64_t count = 0;
};

int serve(int port) {
  raise_nofile();
  const int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  const int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  const auto sa = address("127.0.0.1", port);
  if (bind(lfd, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0) die("bind");
  if (listen(lfd, 4096) != 0) die("listen");
  const int ep = epoll_create1(EPOLL_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = lfd;
  epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
  std::map<int, Conn> conns;
  std::vector<char> buf(1 << 20);
  std::printf("listening\n");
  std::fflush(stdout);
  epoll_event events[256];
  while (true) {
    const int n = epoll_wait(ep, events, 256, -1);
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == lfd) {
        int c;
        while ((c = accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC)) >= 0) {
          setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          epoll_event cev{};
          cev.events = EPOLLIN;
          cev.data.fd = c;
          epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
          conns[c] = Conn{};
        }
        continue;
      }
      Conn& conn = conns[fd];
      const ssize_t r = read(fd, buf.data(), buf.size());
      if (r <= 0) {
        if (conn.mode == 'T' && r == 0) {
          const std::uint64_t total = conn.count;
          write_all(fd, &total, sizeof total);
        }
        close(fd);
        conns.erase(fd);
        continue;
      }
      std::size_t off = 0;
      if (conn.mode == 0) {
        conn.mode = buf[0];
        off = 1;
      }
      if (conn.mode == 'T') {
        conn.count += static_cast<std::uint64_t>(r) - off;
      } else {
        const std::string answer(static_cast<std::size_t>(r), 'p');
        write_all(fd, answer.data(), answer.size());
      }
    }
  }
}

// ---- clients

int throughput(const sockaddr_in& sa, long mib) {
  std::vector<char> chunk(1 << 20, 'x');
  const std::uint64_t total = static_cast<std::uint64_t>(mib) << 20;
  const auto start = Clock::now();
  const int fd = dial(sa);
  write_all(fd, "T", 1);
  for (std::uint64_t sent = 0; sent < total; sent += chunk.size()) write_all(fd, chunk.data(), chunk.size());
  shutdown(fd, SHUT_WR);
  std::uint64_t echoed = 0;
  read_exact(fd, &echoed, sizeof echoed);
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  close(fd);
  if (echoed != total) {
    std::fprintf(stderr, "server counted %llu bytes, expected %llu\n", static_cast<unsigned long long>(echoed),
                 static_cast<unsigned long long>(total));
    return 1;
  }
  std::printf("throughput_mib_s %.1f\n", static_cast<double>(mib) / seconds);
  return 0;
}

int latency(const sockaddr_in& sa, int count) {
  std::vector<double> us;
  for (int i = 0; i < count; ++i) {
    const auto start = Clock::now();
    const int fd = dial(sa);
    char c = 'P';
    write_all(fd, &c, 1);
    read_exact(fd, &c, 1);
    close(fd);
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
  }
  std::sort(us.begin(), us.end());
  std::printf("latency_us median %.1f p90 %.1f\n", us[us.size() / 2], us[us.size() * 9 / 10]);
  return 0;
}

void wait_for_line(const char* announce) {
  std::printf("%s\n", announce);
  std::fflush(stdout);
  char line[16];
  if (std::fgets(line, sizeof line, stdin) == nullptr) die("stdin closed");
}

int concurrent(const sockaddr_in& sa, int count) {
  raise_nofile();
  wait_for_line("READY");
  std::vector<int> fds;
  for (int i = 0; i < count; ++i) fds.push_back(dial(sa));
  for (int fd : fds) {
    char c = 'P';
    write_all(fd, &c, 1);
  }
  int answered = 0;
  for (int fd : fds) {
    char c = 0;
    read_exact(fd, &c, 1);
    answered += c == 'p';
  }
  if (answered != count) {
    std::fprintf(stderr, "only %d of %d connections answered\n", answered, count);
    return 1;
  }
  wait_for_line("OPEN");
  for (int fd : fds) close(fd);
  usleep(300 * 1000);
  wait_for_line("CLOSED");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::strcmp(argv[1], "server") == 0) return serve(std::atoi(argv[2]));
  if (argc != 5) {
    std::fprintf(stderr, "usage: gateway_bench server PORT | throughput|latency|concurrent HOST PORT N\n");
    return 2;
  }
  const auto sa = address(argv[2], std::atoi(argv[3]));
  const long n = std::atol(argv[4]);
  if (std::strcmp(argv[1], "throughput") == 0) return throughput(sa, n);
  if (std::strcmp(argv[1], "latency") == 0) return latency(sa, static_cast<int>(n));
  if (std::strcmp(argv[1], "concurrent") == 0) return concurrent(sa, static_cast<int>(n));
  return 2;
}
