#include "audit/traffic.hpp"

namespace airlock::audit {
namespace {

NameLookup lookup_of(const gateway::NameRecord& record) {
  NameLookup out;
  out.types = record.types;
  for (const auto& address : record.addresses) out.addresses.push_back(address.str());
  out.error = record.error;
  out.pinned = record.pinned;
  return out;
}

}  // namespace

void absorb(Observations& seen, const gateway::LogOnlyRecord& traffic) {
  seen.gateway = true;
  for (const auto& [name, record] : traffic.names) seen.names[name] = lookup_of(record);
  for (auto it = seen.destinations.begin(); it != seen.destinations.end();) {
    const auto ip = gateway::IpAddress::parse(it->first.address);
    if (ip && gateway::SocketAddress{*ip, it->first.port} == traffic.stub) {
      it = seen.destinations.erase(it);  // the stub: the names are the record
      continue;
    }
    const auto name = ip ? traffic.synthetic.find(*ip) : traffic.synthetic.end();
    if (name == traffic.synthetic.end()) {
      ++it;
      continue;
    }
    auto& use = seen.named[NamedDestination{name->second, it->first.port}];
    use.calls.insert(it->second.begin(), it->second.end());
    it = seen.destinations.erase(it);
  }
  for (const auto& [destination, record] : traffic.connections) {
    if (record.count > 0 && record.failed >= record.count) seen.unconnected[destination] = record.error;
    if (record.name.empty()) continue;  // a literal address: the observer has it
    auto& use = seen.named[NamedDestination{record.name, record.to.port}];
    use.relayed += record.count;
    use.failed += record.failed;
    if (!record.error.empty()) use.error = record.error;
    for (const auto& address : record.resolved) use.addresses.insert(address.str());
  }
  seen.unrelayed.insert(traffic.unrelayed.begin(), traffic.unrelayed.end());
}

}  // namespace airlock::audit
