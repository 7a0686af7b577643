#include "conf/toml_reader.hpp"

#include <algorithm>
#include <limits>

namespace conf::detail {
namespace {

std::string_view describe(toml::node_type t) {
    switch (t) {
        case toml::node_type::string: return "a string";
        case toml::node_type::integer: return "an integer";
        case toml::node_type::floating_point: return "a floating-point number";
        case toml::node_type::boolean: return "a boolean";
        case toml::node_type::table: return "a table";
        case toml::node_type::array: return "an array";
        case toml::node_type::date: return "a date";
        case toml::node_type::time: return "a time";
        case toml::node_type::date_time: return "a date-time";
        case toml::node_type::none: break;
    }
    return "nothing";
}

}  // namespace

std::string TomlReader::join(std::string_view path, std::string_view key) {
    std::string s(path);
    if (!s.empty()) s += '.';
    s += key;
    return s;
}

std::string TomlReader::index(std::string_view path, std::size_t i) {
    return std::string(path) + '[' + std::to_string(i) + ']';
}

void TomlReader::error(const toml::source_region& where, std::string key, std::string message) {
    errors_.push_back(ConfigError{file_, static_cast<unsigned>(where.begin.line),
                                  static_cast<unsigned>(where.begin.column), std::move(key),
                                  std::move(message)});
}

void TomlReader::wrong_type(const toml::node& n, std::string key, std::string_view expected) {
    error(n, std::move(key),
          "expected " + std::string(expected) + ", got " + std::string(describe(n.type())));
}

const toml::source_region& TomlReader::key_source(const toml::key& key, const toml::node& value) {
    // A key parsed from the file has its own position; fall back to the value's.
    return key.source().begin.line ? key.source() : value.source();
}

void TomlReader::check_keys(const toml::table& table, std::string_view path,
                            std::initializer_list<std::string_view> allowed) {
    for (const auto& [k, v] : table) {
        if (std::find(allowed.begin(), allowed.end(), k.str()) != allowed.end()) continue;
        error(key_source(k, v), join(path, k.str()), "unknown key");
    }
}

void TomlReader::check_keys(const toml::table& table, std::string_view path,
                            const std::vector<std::string>& allowed) {
    for (const auto& [k, v] : table) {
        if (std::find(allowed.begin(), allowed.end(), k.str()) != allowed.end()) continue;
        error(key_source(k, v), join(path, k.str()), "unknown key");
    }
}

bool TomlReader::require(const toml::table& table, std::string_view path, std::string_view key) {
    if (table.contains(key)) return true;
    error(table, join(path, key), "missing required key");
    return false;
}

const toml::node* TomlReader::string(const toml::table& table, std::string_view path,
                                     std::string_view key, std::string& out) {
    const toml::node* n = table.get(key);
    if (!n) return nullptr;
    if (const auto* s = n->as_string()) {
        out = s->get();
        return n;
    }
    wrong_type(*n, join(path, key), "a string");
    return nullptr;
}

const toml::node* TomlReader::boolean(const toml::table& table, std::string_view path,
                                      std::string_view key, bool& out) {
    const toml::node* n = table.get(key);
    if (!n) return nullptr;
    if (const auto* b = n->as_boolean()) {
        out = b->get();
        return n;
    }
    wrong_type(*n, join(path, key), "a boolean");
    return nullptr;
}

const toml::node* TomlReader::integer(const toml::table& table, std::string_view path,
                                      std::string_view key, std::int64_t min, std::int64_t max,
                                      std::int64_t& out) {
    const toml::node* n = table.get(key);
    if (!n) return nullptr;
    const auto* i = n->as_integer();
    if (!i) {
        wrong_type(*n, join(path, key), "an integer");
        return nullptr;
    }
    const std::int64_t v = i->get();
    if (v < min || v > max) {
        // An upper bound that only reflects the C++ type is not worth printing.
        const bool open_ended = max >= std::numeric_limits<std::int32_t>::max();
        error(*n, join(path, key),
              (open_ended ? "must be at least " + std::to_string(min)
                          : "must be between " + std::to_string(min) + " and " +
                                std::to_string(max)) +
                  " (got " + std::to_string(v) + ")");
        return nullptr;
    }
    out = v;
    return n;
}

const toml::table* TomlReader::table(const toml::table& parent, std::string_view path,
                                     std::string_view key) {
    const toml::node* n = parent.get(key);
    if (!n) return nullptr;
    if (const auto* t = n->as_table()) return t;
    wrong_type(*n, join(path, key), "a table");
    return nullptr;
}

const toml::array* TomlReader::table_array(const toml::table& parent, std::string_view path,
                                           std::string_view key) {
    const toml::node* n = parent.get(key);
    if (!n) return nullptr;
    const auto* a = n->as_array();
    if (!a) {
        wrong_type(*n, join(path, key), "an array of tables");
        return nullptr;
    }
    const std::string name = join(path, key);
    for (std::size_t i = 0; i < a->size(); ++i) {
        const toml::node& e = *a->get(i);
        if (!e.is_table()) wrong_type(e, index(name, i), "a table");
    }
    return a;
}

const toml::array* TomlReader::string_array(
    const toml::table& parent, std::string_view path, std::string_view key,
    std::vector<StringItem>& out) {
    const toml::node* n = parent.get(key);
    if (!n) return nullptr;
    const auto* a = n->as_array();
    if (!a) {
        wrong_type(*n, join(path, key), "an array of strings");
        return nullptr;
    }
    const std::string name = join(path, key);
    out.clear();
    for (std::size_t i = 0; i < a->size(); ++i) {
        const toml::node& e = *a->get(i);
        if (const auto* s = e.as_string())
            out.push_back(StringItem{s->get(), &e, index(name, i)});
        else
            wrong_type(e, index(name, i), "a string");
    }
    return a;
}

std::vector<ConfigError> TomlReader::take_errors() {
    std::stable_sort(errors_.begin(), errors_.end(), [](const ConfigError& a, const ConfigError& b) {
        return a.line != b.line ? a.line < b.line : a.column < b.column;
    });
    return std::move(errors_);
}

}  // namespace conf::detail
