#include "policy/toml_errors.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
#include <sstream>
#include <tuple>
#include <vector>

namespace airlock::policy {
namespace {

// toml11 messages span several lines with an ASCII-art underline; the first
// line after the "[error]" tag says what is wrong.
std::string first_toml_message(const std::string& what) {
  auto text = what.substr(0, what.find('\n'));
  for (std::string_view tag : {"[error] ", "toml::"}) {
    if (text.starts_with(tag)) text.erase(0, tag.size());
  }
  if (auto colon = text.find(": "); colon != std::string::npos && text.find("parse") < colon) text.erase(0, colon + 2);
  // "insert_value: value ("mode") already exists." says: a key is defined twice.
  if (const auto open = text.find("(\""), close = text.find("\")"); text.find("already exists") != std::string::npos &&
                                                                    open != std::string::npos && close > open)
    return "duplicate key \"" + text.substr(open + 2, close - open - 2) + "\" (a key may be defined only once)";
  return text;
}

// One caret of a toml11 message:
//    2 | mode = none
//      |        ^--- the next token is not a float
struct Caret {
  unsigned line = 0;
  unsigned column = 0;
  std::string note;  // what the caret says
};

std::vector<Caret> carets_of(const std::string& what) {
  std::istringstream in(what);
  std::string row;
  unsigned line = 0;  // of the source row just drawn; 0: none
  std::size_t text_start = 0;
  std::vector<Caret> out;
  while (std::getline(in, row)) {
    const auto bar = row.find(" | ");
    const auto first = row.find_first_not_of(' ');
    if (bar != std::string::npos && first < bar && row.find_first_not_of("0123456789", first) == bar &&
        bar - first < 9) {
      line = static_cast<unsigned>(std::stoul(row.substr(first, bar - first)));
      text_start = bar + 3;
      continue;
    }
    const auto caret = row.find('^');
    if (line > 0 && caret != std::string::npos && caret >= text_start && row.find('|') < caret) {
      Caret c{line, static_cast<unsigned>(caret - text_start + 1), ""};
      if (row.compare(caret, 5, "^--- ") == 0) c.note = row.substr(caret + 5);
      out.push_back(c);
    }
    if (!row.empty() && row.find_first_not_of(" |") != std::string::npos) line = 0;
  }
  return out;
}

// The offset of LINE:COLUMN (from 1) in `text`, or text.size() past its end.
std::size_t offset_of(std::string_view text, unsigned line, unsigned column) {
  std::size_t offset = 0;
  for (unsigned l = 1; l < line; ++l) {
    offset = text.find('\n', offset);
    if (offset == std::string_view::npos) return text.size();
    ++offset;
  }
  return std::min(text.size(), offset + (column > 0 ? column - 1 : 0));
}

std::pair<unsigned, unsigned> line_column_of(std::string_view text, std::size_t offset) {
  unsigned line = 1;
  std::size_t start = 0;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      start = i + 1;
    }
  }
  return {line, static_cast<unsigned>(offset - start + 1)};
}

// A value written without quotes (mode = none) is a bare word to toml11,
// which then says the token is not a number or a boolean. A value follows
// '=' or, in an array or inline table, '[', ',' or '{'.
std::optional<std::string> bare_word_at(std::string_view text, std::size_t offset) {
  std::size_t before = offset;
  while (before > 0 && (text[before - 1] == ' ' || text[before - 1] == '\t')) --before;
  if (before == 0 || std::string_view("=,[{").find(text[before - 1]) == std::string_view::npos) return std::nullopt;
  std::size_t end = offset;
  while (end < text.size() && (std::isalnum(static_cast<unsigned char>(text[end])) || text[end] == '_' ||
                               text[end] == '-' || text[end] == '.' || text[end] == '/'))
    ++end;
  const auto word = text.substr(offset, end - offset);
  if (word.empty() || !std::isalpha(static_cast<unsigned char>(word.front()))) return std::nullopt;
  for (std::string_view literal : {"true", "false", "inf", "nan"})
    if (word == literal) return std::nullopt;
  return std::string(word);
}

// What is wrong with the one-line string that starts at `offset` (a quote),
// and where: an escape TOML does not know, or no closing quote on the line.
std::optional<std::pair<std::size_t, std::string>> string_problem(std::string_view text, std::size_t offset) {
  if (offset >= text.size() || (text[offset] != '"' && text[offset] != '\'')) return std::nullopt;
  const char quote = text[offset];
  if (text.substr(offset, 3) == std::string(3, quote)) return std::nullopt;  // multi-line: left to toml11
  for (std::size_t i = offset + 1; i < text.size() && text[i] != '\n'; ++i) {
    if (text[i] == quote) return std::nullopt;
    if (quote == '"' && text[i] == '\\') {
      const char next = i + 1 < text.size() ? text[i + 1] : '\n';
      if (std::string_view("btnfr\"\\uU").find(next) == std::string_view::npos)
        return std::pair{i, "\"\\" + std::string(1, next == '\n' ? ' ' : next) +
                                "\" is not an escape TOML knows: write \"\\\\\" for a backslash, or use a "
                                "'literal string' in single quotes"};
      ++i;
    }
  }
  return std::pair{offset, std::string("the string is not closed on this line")};
}

bool at_end(std::string_view text, std::size_t offset) {
  return text.find_first_not_of(" \t\r\n", offset) == std::string_view::npos;
}

}  // namespace

TomlProblem describe_toml_error(const std::string& what, std::string_view text, unsigned line, unsigned column) {
  TomlProblem problem{line, column, first_toml_message(what)};
  const auto carets = carets_of(what);
  if (carets.empty()) return problem;
  // The last caret is the spot; an error in an array first points at where
  // the array starts.
  const Caret& spot = carets.back();
  problem.line = spot.line;
  problem.column = spot.column;
  if (problem.message.empty()) problem.message = spot.note;
  const std::size_t offset = offset_of(text, spot.line, spot.column);
  if (const auto word = bare_word_at(text, offset)) {
    problem.message = "a string must be in quotes: \"" + *word + "\" is a bare word";
  } else if (const auto bad = string_problem(text, offset)) {
    std::tie(problem.line, problem.column) = line_column_of(text, bad->first);
    problem.message = bad->second;
  } else if (at_end(text, offset) && carets.size() > 1 && carets.front().note.find("starts here") != std::string::npos) {
    // "array starts here" ... "it is not a valid value." at the end of the file.
    problem.line = carets.front().line;
    problem.column = carets.front().column;
    const bool table = carets.front().note.find("table") != std::string::npos;
    problem.message = table ? "the inline table that starts here is not closed with '}'"
                            : "the array that starts here is not closed with ']'";
  }
  return problem;
}

}  // namespace airlock::policy
