// A minimal JSON value with a strict parser and a compact writer, enough for
// model configurations (objects, arrays, numbers, strings, booleans, null).
// Parse errors throw cdc::Error with the status given by the caller.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "cdc.h"

namespace cdc::json {

class Value {
 public:
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };

  Value() = default;
  Value(bool b) : type_(Type::kBool), bool_(b) {}                // NOLINT
  Value(double n) : type_(Type::kNumber), number_(n) {}          // NOLINT
  Value(int n) : type_(Type::kNumber), number_(n) {}             // NOLINT
  Value(int64_t n) : type_(Type::kNumber), number_(static_cast<double>(n)) {}  // NOLINT
  Value(std::string s) : type_(Type::kString), string_(std::move(s)) {}        // NOLINT
  Value(const char* s) : type_(Type::kString), string_(s) {}                   // NOLINT
  static Value array(std::vector<Value> items = {});
  static Value object();

  Type type() const { return type_; }
  bool is_object() const { return type_ == Type::kObject; }

  // Typed access; throws cdc::Error(status) naming `what` on a type mismatch.
  bool as_bool(const std::string& what, cdc_status status) const;
  double as_number(const std::string& what, cdc_status status) const;
  // An integral number within [lo, hi].
  int64_t as_int(const std::string& what, cdc_status status, int64_t lo, int64_t hi) const;
  const std::string& as_string(const std::string& what, cdc_status status) const;
  const std::vector<Value>& as_array(const std::string& what, cdc_status status) const;

  // Objects: keys in insertion order.
  void set(const std::string& key, Value v);
  const Value* find(const std::string& key) const;
  const std::vector<std::pair<std::string, Value>>& items() const { return object_; }

  // Compact or indented (indent > 0) JSON text.
  std::string dump(int indent = 0) const;
  static Value parse(const std::string& text, cdc_status status);

 private:
  void dump_to(std::string& out, int indent, int level) const;

  Type type_ = Type::kNull;
  bool bool_ = false;
  double number_ = 0.0;
  std::string string_;
  std::vector<Value> array_;
  std::vector<std::pair<std::string, Value>> object_;
};

}  // namespace cdc::json
