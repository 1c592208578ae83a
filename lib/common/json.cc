#include "common/json.h"

#include <cmath>
#include <cstdio>
#include <charconv>
#include <cstdlib>

#include "common/error.h"

namespace cdc::json {

Value Value::array(std::vector<Value> items) {
  Value v;
  v.type_ = Type::kArray;
  v.array_ = std::move(items);
  return v;
}

Value Value::object() {
  Value v;
  v.type_ = Type::kObject;
  return v;
}

bool Value::as_bool(const std::string& what, cdc_status status) const {
  if (type_ != Type::kBool) fail(status, "{}: expected a boolean", what);
  return bool_;
}

double Value::as_number(const std::string& what, cdc_status status) const {
  if (type_ != Type::kNumber) fail(status, "{}: expected a number", what);
  return number_;
}

int64_t Value::as_int(const std::string& what, cdc_status status, int64_t lo, int64_t hi) const {
  const double n = as_number(what, status);
  if (!(n >= static_cast<double>(lo) && n <= static_cast<double>(hi)) || std::floor(n) != n)
    fail(status, "{}: expected an integer in [{}, {}], got {}", what, lo, hi, n);
  return static_cast<int64_t>(n);
}

const std::string& Value::as_string(const std::string& what, cdc_status status) const {
  if (type_ != Type::kString) fail(status, "{}: expected a string", what);
  return string_;
}

const std::vector<Value>& Value::as_array(const std::string& what, cdc_status status) const {
  if (type_ != Type::kArray) fail(status, "{}: expected an array", what);
  return array_;
}

void Value::set(const std::string& key, Value v) {
  CDC_CHECK(type_ == Type::kObject);
  for (auto& kv : object_) {
    if (kv.first == key) {
      kv.second = std::move(v);
      return;
    }
  }
  object_.emplace_back(key, std::move(v));
}

const Value* Value::find(const std::string& key) const {
  if (type_ != Type::kObject) return nullptr;
  for (const auto& kv : object_)
    if (kv.first == key) return &kv.second;
  return nullptr;
}

namespace {

void dump_string(std::string& out, const std::string& s) {
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

void newline(std::string& out, int indent, int level) {
  if (indent <= 0) return;
  out += '\n';
  out.append(static_cast<size_t>(indent * level), ' ');
}

}  // namespace

void Value::dump_to(std::string& out, int indent, int level) const {
  switch (type_) {
    case Type::kNull: out += "null"; break;
    case Type::kBool: out += bool_ ? "true" : "false"; break;
    case Type::kNumber: {
      if (std::isfinite(number_) && std::floor(number_) == number_ && std::fabs(number_) < 1e15) {
        out += fmt::format("{}", static_cast<int64_t>(number_));
      } else if (std::isfinite(number_)) {
        out += fmt::format("{}", number_);  // shortest round-trip form
      } else {
        out += "null";
      }
      break;
    }
    case Type::kString: dump_string(out, string_); break;
    case Type::kArray: {
      out += '[';
      for (size_t i = 0; i < array_.size(); ++i) {
        if (i) out += indent > 0 ? ", " : ",";
        array_[i].dump_to(out, indent, level + 1);
      }
      out += ']';
      break;
    }
    case Type::kObject: {
      out += '{';
      for (size_t i = 0; i < object_.size(); ++i) {
        if (i) out += ',';
        newline(out, indent, level + 1);
        dump_string(out, object_[i].first);
        out += indent > 0 ? ": " : ":";
        object_[i].second.dump_to(out, indent, level + 1);
      }
      if (!object_.empty()) newline(out, indent, level);
      out += '}';
      break;
    }
  }
}

std::string Value::dump(int indent) const {
  std::string out;
  dump_to(out, indent, 0);
  return out;
}

namespace {

class Parser {
 public:
  Parser(const std::string& text, cdc_status status) : s_(text), status_(status) {}

  Value parse_document() {
    Value v = parse_value(0);
    skip_ws();
    if (pos_ != s_.size()) error("trailing characters");
    return v;
  }

 private:
  [[noreturn]] void error(const char* what) {
    fail(status_, "invalid JSON at offset {}: {}", pos_, what);
  }
  void skip_ws() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' ||
                                s_[pos_] == '\r'))
      ++pos_;
  }
  bool consume(char c) {
    skip_ws();
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  void expect(char c) {
    if (!consume(c)) error("unexpected character");
  }
  bool literal(const char* word) {
    size_t n = std::char_traits<char>::length(word);
    if (s_.compare(pos_, n, word) == 0) {
      pos_ += n;
      return true;
    }
    return false;
  }

  Value parse_value(int depth) {
    if (depth > 64) error("nesting too deep");
    skip_ws();
    if (pos_ >= s_.size()) error("unexpected end");
    char c = s_[pos_];
    if (c == '{') {
      ++pos_;
      Value obj = Value::object();
      if (consume('}')) return obj;
      do {
        skip_ws();
        std::string key = parse_string();
        expect(':');
        Value v = parse_value(depth + 1);
        if (obj.find(key) != nullptr) error("duplicate key");
        obj.set(key, std::move(v));
      } while (consume(','));
      expect('}');
      return obj;
    }
    if (c == '[') {
      ++pos_;
      std::vector<Value> items;
      if (consume(']')) return Value::array();
      do {
        items.push_back(parse_value(depth + 1));
      } while (consume(','));
      expect(']');
      return Value::array(std::move(items));
    }
    if (c == '"') return Value(parse_string());
    if (literal("true")) return Value(true);
    if (literal("false")) return Value(false);
    if (literal("null")) return Value();
    return Value(parse_number());
  }

  std::string parse_string() {
    if (pos_ >= s_.size() || s_[pos_] != '"') error("expected a string");
    ++pos_;
    std::string out;
    while (true) {
      if (pos_ >= s_.size()) error("unterminated string");
      char c = s_[pos_++];
      if (c == '"') break;
      if (static_cast<unsigned char>(c) < 0x20) error("control character in string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= s_.size()) error("unterminated escape");
      char e = s_[pos_++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          if (pos_ + 4 > s_.size()) error("bad \\u escape");
          unsigned code = 0;
          for (int i = 0; i < 4; ++i) {
            char h = s_[pos_++];
            code <<= 4;
            if (h >= '0' && h <= '9') code |= static_cast<unsigned>(h - '0');
            else if (h >= 'a' && h <= 'f') code |= static_cast<unsigned>(h - 'a' + 10);
            else if (h >= 'A' && h <= 'F') code |= static_cast<unsigned>(h - 'A' + 10);
            else error("bad \\u escape");
          }
          // Basic multilingual plane only (no surrogate pairs needed here); a
          // lone surrogate would make the text invalid UTF-8.
          if (code >= 0xD800 && code <= 0xDFFF) error("bad \\u escape (surrogate)");
          if (code < 0x80) {
            out += static_cast<char>(code);
          } else if (code < 0x800) {
            out += static_cast<char>(0xC0 | (code >> 6));
            out += static_cast<char>(0x80 | (code & 0x3F));
          } else {
            out += static_cast<char>(0xE0 | (code >> 12));
            out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (code & 0x3F));
          }
          break;
        }
        default: error("bad escape");
      }
    }
    return out;
  }

  double parse_number() {
    size_t start = pos_;
    if (pos_ < s_.size() && s_[pos_] == '-') ++pos_;
    bool digits = false;
    while (pos_ < s_.size() && ((s_[pos_] >= '0' && s_[pos_] <= '9') || s_[pos_] == '.' ||
                                s_[pos_] == 'e' || s_[pos_] == 'E' || s_[pos_] == '+' ||
                                s_[pos_] == '-')) {
      digits = true;
      ++pos_;
    }
    if (!digits) error("unexpected character");
    std::string token = s_.substr(start, pos_ - start);
    double v = 0.0;
    // from_chars is locale-independent (strtod is not).
    auto res = std::from_chars(token.data(), token.data() + token.size(), v);
    if (res.ec != std::errc() || res.ptr != token.data() + token.size() || !std::isfinite(v))
      error("bad number");
    return v;
  }

  const std::string& s_;
  cdc_status status_;
  size_t pos_ = 0;
};

}  // namespace

Value Value::parse(const std::string& text, cdc_status status) {
  return Parser(text, status).parse_document();
}

}  // namespace cdc::json
