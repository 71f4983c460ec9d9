#include "kernel/remote.hpp"

#include <sys/uio.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string_view>
#include <vector>

namespace airlock::kernel::remote {
namespace {

constexpr std::size_t kPage = 4096;

// Reads up to `size` bytes, page by page: process_vm_readv(2) transfers
// whole iovec elements only, so one element per page lets a string that
// ends just before an unmapped page still be read.
std::size_t read_pages(pid_t tid, std::uint64_t address, char* out, std::size_t size) {
  std::vector<iovec> remote;
  std::uint64_t at = address;
  std::size_t left = size;
  while (left > 0) {
    const std::size_t in_page = kPage - static_cast<std::size_t>(at % kPage);
    const std::size_t n = std::min(in_page, left);
    remote.push_back({reinterpret_cast<void*>(static_cast<std::uintptr_t>(at)), n});
    at += n;
    left -= n;
  }
  iovec local{out, size};
  const ssize_t got = ::process_vm_readv(tid, &local, 1, remote.data(), remote.size(), 0);
  return got < 0 ? 0 : static_cast<std::size_t>(got);
}

}  // namespace

std::optional<std::string> read_string(pid_t tid, std::uint64_t address, std::size_t max) {
  if (address == 0) return std::nullopt;
  std::string buffer(max, '\0');
  // Most paths are short: try the rest of the first page before the whole size.
  const std::size_t first = std::min(max, kPage - static_cast<std::size_t>(address % kPage));
  std::size_t got = read_pages(tid, address, buffer.data(), first);
  auto nul = buffer.find('\0');
  if (nul >= got && got == first && first < max) {
    got += read_pages(tid, address + first, buffer.data() + first, max - first);
    nul = buffer.find('\0');
  }
  if (nul == std::string::npos || nul >= got) return std::nullopt;
  buffer.resize(nul);
  return buffer;
}

bool read_bytes(pid_t tid, std::uint64_t address, void* out, std::size_t size) {
  if (address == 0) return false;
  return read_pages(tid, address, static_cast<char*>(out), size) == size;
}

std::optional<std::string> read_link(const std::string& path) {
  std::string buffer(256, '\0');
  while (true) {
    const ssize_t n = ::readlink(path.c_str(), buffer.data(), buffer.size());
    if (n < 0) return std::nullopt;
    if (static_cast<std::size_t>(n) < buffer.size()) {
      buffer.resize(static_cast<std::size_t>(n));
      return buffer;
    }
    if (buffer.size() >= 65536) return std::nullopt;
    buffer.resize(buffer.size() * 2);
  }
}

std::optional<unsigned long> socket_inode(pid_t tid, int fd) {
  const auto link = read_link("/proc/" + std::to_string(tid) + "/fd/" + std::to_string(fd));
  if (!link || !link->starts_with("socket:[") || !link->ends_with("]")) return std::nullopt;
  try {
    return std::stoul(link->substr(8, link->size() - 9));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::optional<unsigned long> listening_socket(pid_t tid, std::uint16_t port) {
  constexpr const char* kListen = "0A";  // TCP_LISTEN in /proc/net/tcp's "st" column
  for (const char* table : {"tcp", "tcp6"}) {
    std::ifstream in("/proc/" + std::to_string(tid) + "/net/" + table);
    std::string line;
    std::getline(in, line);  // the header
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout, inode;
      fields >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >> timeout >> inode;
      const auto colon = local.rfind(':');
      if (!fields || state != kListen || colon == std::string::npos) continue;
      try {
        if (std::stoul(local.substr(colon + 1), nullptr, 16) == port) return std::stoul(inode);
      } catch (const std::exception&) {
        continue;
      }
    }
  }
  return std::nullopt;
}

std::optional<bool> is_tcp_socket(pid_t tid, int fd) {
  const std::string link = "/proc/" + std::to_string(tid) + "/fd/" + std::to_string(fd);
  char name[64] = {};
  const ssize_t n = ::getxattr(link.c_str(), "system.sockprotoname", name, sizeof name - 1);
  if (n <= 0) return std::nullopt;
  const std::string_view protocol(name, strnlen(name, static_cast<std::size_t>(n)));
  return protocol.starts_with("TCP") || protocol.starts_with("MPTCP");
}

}  // namespace airlock::kernel::remote
