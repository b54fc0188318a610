#include "rootfs/linker_script.hpp"

#include <cctype>

namespace litebox::rootfs {

namespace {

// Removes /* ... */ comments, which ld scripts use and which may sit
// between the names of a GROUP.
std::string without_comments(std::string_view text) {
  std::string result;
  size_t at = 0;
  while (at < text.size()) {
    const size_t start = text.find("/*", at);
    if (start == std::string_view::npos) {
      result.append(text.substr(at));
      break;
    }
    result.append(text.substr(at, start - at));
    result.push_back(' ');
    const size_t end = text.find("*/", start + 2);
    if (end == std::string_view::npos) {
      break;
    }
    at = end + 2;
  }
  return result;
}

bool is_separator(char character) {
  return std::isspace(static_cast<unsigned char>(character)) != 0 || character == '(' ||
         character == ')' || character == ',';
}

// Splits `text` into words and the parentheses between them.
std::vector<std::string> tokens_of(std::string_view text) {
  std::vector<std::string> tokens;
  size_t at = 0;
  while (at < text.size()) {
    if (text[at] == '(' || text[at] == ')') {
      tokens.emplace_back(1, text[at]);
      ++at;
      continue;
    }
    if (is_separator(text[at])) {
      ++at;
      continue;
    }
    const size_t start = at;
    while (at < text.size() && !is_separator(text[at])) {
      ++at;
    }
    tokens.emplace_back(text.substr(start, at - start));
  }
  return tokens;
}

}  // namespace

bool is_linker_script(std::string_view text) {
  const size_t start = text.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos) {
    return false;
  }
  const std::string_view rest = text.substr(start);
  for (const std::string_view opening : {"/*", "GROUP", "INPUT", "OUTPUT_FORMAT"}) {
    if (rest.starts_with(opening)) {
      return true;
    }
  }
  return false;
}

std::vector<std::string> linker_script_inputs(std::string_view text) {
  const std::vector<std::string> tokens = tokens_of(without_comments(text));
  std::vector<std::string> inputs;

  // Depth of parentheses inside an INPUT or GROUP command; 0 outside one.
  int depth = 0;
  for (size_t i = 0; i < tokens.size(); ++i) {
    const std::string& token = tokens[i];
    if (depth == 0) {
      if ((token == "INPUT" || token == "GROUP") && i + 1 < tokens.size() && tokens[i + 1] == "(") {
        depth = 1;
        ++i;
      }
      continue;
    }
    if (token == "(") {
      ++depth;
    } else if (token == ")") {
      --depth;
    } else if (token != "AS_NEEDED") {
      inputs.push_back(token);
    }
  }
  return inputs;
}

}  // namespace litebox::rootfs
