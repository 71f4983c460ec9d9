#include "report/logging.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <chrono>
#include <nlohmann/json.hpp>

namespace airlock::logging {
namespace {

class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const auto since_epoch = msg.time.time_since_epoch();
    nlohmann::json line = {
        {"time", std::chrono::duration<double>(since_epoch).count()},
        {"level", std::string(spdlog::level::to_string_view(msg.level).data(),
                              spdlog::level::to_string_view(msg.level).size())},
        {"source", "airlock"},
        {"message", std::string(msg.payload.data(), msg.payload.size())},
    };
    const auto text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    dest.append(text.data(), text.data() + text.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<JsonFormatter>(); }
};

spdlog::level::level_enum level_for(int verbosity) {
  if (verbosity < 0) return spdlog::level::err;
  if (verbosity == 0) return spdlog::level::warn;
  if (verbosity == 1) return spdlog::level::info;
  return spdlog::level::debug;
}

}  // namespace

void setup(Format format, int verbosity) {
  // Synchronous and unbuffered beyond a line: the supervisor forks, and a
  // logging thread would not survive into the child (and a forked child
  // holding a logger mutex would deadlock).
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  auto logger = std::make_shared<spdlog::logger>("airlock", sink);
  if (format == Format::json)
    logger->set_formatter(std::make_unique<JsonFormatter>());
  else
    logger->set_formatter(std::make_unique<spdlog::pattern_formatter>("airlock: %^%l%$: %v"));
  logger->set_level(level_for(verbosity));
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(logger);
}

}  // namespace airlock::logging
