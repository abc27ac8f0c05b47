#include "targets/option_reader.h"

#include <utility>

namespace faultline {

OptionReader::OptionReader(std::string target, const Json& options, std::string prefix)
    : target_(std::move(target)), options_(options), prefix_(std::move(prefix)) {
  if (!options_.is_null() && !options_.is_object()) {
    status_ = Status::InvalidArgument(
        "target " + target_ + ": " +
        (prefix_.empty() ? "options" : prefix_.substr(0, prefix_.size() - 1)) +
        ": expected a JSON object, got " + options_.dump());
  }
}

int64_t OptionReader::Int(const std::string& name, int64_t fallback, int64_t min, int64_t max) {
  const Json* v = Take(name);
  if (v == nullptr) return fallback;
  // An unsigned above INT64_MAX would wrap through get<int64_t>() into range
  // (18446744073709551615 read as -1).
  const bool too_large =
      v->is_number_unsigned() &&
      v->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  if (!v->is_number_integer() || too_large || v->get<int64_t>() < min ||
      v->get<int64_t>() > max) {
    Fail(name,
         "expected an integer from " + std::to_string(min) +
             (max == std::numeric_limits<int64_t>::max() ? " up" : " to " + std::to_string(max)),
         *v);
    return fallback;
  }
  return v->get<int64_t>();
}

std::string OptionReader::String(const std::string& name, std::string fallback) {
  const Json* v = Take(name);
  if (v == nullptr) return fallback;
  if (!v->is_string() || v->get<std::string>().empty()) {
    Fail(name, "expected a non-empty string", *v);
    return fallback;
  }
  return v->get<std::string>();
}

bool OptionReader::Bool(const std::string& name, bool fallback) {
  const Json* v = Take(name);
  if (v == nullptr) return fallback;
  if (!v->is_boolean()) {
    Fail(name, "expected true or false", *v);
    return fallback;
  }
  return v->get<bool>();
}

std::vector<std::string> OptionReader::Strings(const std::string& name) {
  const Json* v = Take(name);
  if (v == nullptr) return {};
  std::vector<std::string> out;
  if (v->is_array()) {
    for (const Json& item : *v) {
      if (!item.is_string()) break;
      out.push_back(item.get<std::string>());
    }
  }
  if (!v->is_array() || out.size() != v->size()) Fail(name, "expected an array of strings", *v);
  return out;
}

const Json* OptionReader::Take(const std::string& name) {
  read_.insert(name);
  if (!options_.is_object()) return nullptr;
  auto it = options_.find(name);
  return it == options_.end() ? nullptr : &*it;
}

void OptionReader::Fail(const std::string& name, const std::string& expected, const Json& got) {
  if (!status_.ok()) return;
  status_ = Status::InvalidArgument("target " + target_ + ": option " + prefix_ + name + ": " +
                                    expected + ", got " + got.dump());
}

Status OptionReader::Finish() {
  if (!status_.ok() || !options_.is_object()) return status_;
  for (const auto& [name, value] : options_.items()) {
    if (read_.count(name) == 0) {
      std::string known;
      for (const std::string& k : read_) known += (known.empty() ? "" : ", ") + k;
      return Status::InvalidArgument("target " + target_ + ": unknown option '" + prefix_ + name +
                                     "'; known options: " + known);
    }
  }
  return Status::Ok();
}

}  // namespace faultline
