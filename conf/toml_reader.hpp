// TomlReader: typed access to a parsed toml++ document that records every
// problem as a ConfigError instead of stopping at the first one.
//
// Internal to conf/ (the config loader is its only user). Each reader takes a
// table, a dotted path naming that table ("" for the root, "xmq.queues[1]")
// and a key; it leaves `out` unchanged and returns nullptr when the key is
// absent or invalid, and returns the node it read otherwise. Errors carry the
// position of the offending node, or of the enclosing table for a missing key.
// One reader per load, used by one thread.
#pragma once

#include <toml++/toml.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "conf/config.hpp"

namespace conf::detail {

class TomlReader {
public:
    explicit TomlReader(std::string file) : file_(std::move(file)) {}

    // "path.key", or "key" at the root.
    static std::string join(std::string_view path, std::string_view key);
    // "path[i]".
    static std::string index(std::string_view path, std::size_t i);

    void error(const toml::source_region& where, std::string key, std::string message);
    void error(const toml::node& at, std::string key, std::string message) {
        error(at.source(), std::move(key), std::move(message));
    }

    // Reports each key of `table` that is not in `allowed` as unknown.
    void check_keys(const toml::table& table, std::string_view path,
                    std::initializer_list<std::string_view> allowed);
    void check_keys(const toml::table& table, std::string_view path, const std::vector<std::string>& allowed);
    // Where a key of a table was written (its value's position when the key has none).
    static const toml::source_region& key_source(const toml::key& key, const toml::node& value);
    // Reports `key` as missing when `table` lacks it; true when present.
    bool require(const toml::table& table, std::string_view path, std::string_view key);

    const toml::node* string(const toml::table& table, std::string_view path, std::string_view key,
                             std::string& out);
    const toml::node* boolean(const toml::table& table, std::string_view path, std::string_view key,
                              bool& out);
    const toml::node* integer(const toml::table& table, std::string_view path, std::string_view key,
                              std::int64_t min, std::int64_t max, std::int64_t& out);

    template <class T>
    const toml::node* integer(const toml::table& table, std::string_view path, std::string_view key,
                              std::int64_t min, std::int64_t max, T& out) {
        std::int64_t v = 0;
        const toml::node* n = integer(table, path, key, min, max, v);
        if (n) out = static_cast<T>(v);
        return n;
    }

    // A string that must be one of `choices`.
    template <class E>
    const toml::node* choice(const toml::table& table, std::string_view path, std::string_view key,
                             std::initializer_list<std::pair<std::string_view, E>> choices, E& out) {
        std::string s;
        const toml::node* n = string(table, path, key, s);
        if (!n) return nullptr;
        for (const auto& [name, value] : choices) {
            if (name == s) {
                out = value;
                return n;
            }
        }
        std::string expected;
        for (const auto& c : choices) {
            if (!expected.empty()) expected += ", ";
            expected += '"';
            expected += c.first;
            expected += '"';
        }
        error(*n, join(path, key), "must be one of " + expected + " (got \"" + s + "\")");
        return nullptr;
    }

    // A sub-table (a [header] table or an inline table).
    const toml::table* table(const toml::table& parent, std::string_view path, std::string_view key);
    // An array of tables ([[key]] or key = [{...}]); elements that are not
    // tables are reported, so the caller may skip them with as_table().
    const toml::array* table_array(const toml::table& parent, std::string_view path,
                                   std::string_view key);
    // One string of an array, with what is needed to report on it later.
    struct StringItem {
        std::string value;
        const toml::node* node;
        std::string key;  // "path.key[i]"
    };
    // An array of strings; elements that are not strings are reported and left out.
    const toml::array* string_array(const toml::table& parent, std::string_view path,
                                    std::string_view key, std::vector<StringItem>& out);

    std::size_t error_count() const { return errors_.size(); }
    // The errors collected so far, ordered by position in the file.
    std::vector<ConfigError> take_errors();

private:
    void wrong_type(const toml::node& n, std::string key, std::string_view expected);

    std::string file_;
    std::vector<ConfigError> errors_;
};

}  // namespace conf::detail
