#include "xmpp/mam_query.hpp"

#include <charconv>
#include <cstdio>
#include <set>

#include "xmpp/datetime.hpp"
#include "xmpp/namespaces.hpp"

namespace xmpp {

namespace {

using Error = MamQueryError;

Failure<Error> bad(std::string text) { return fail(Error{StanzaError::bad_request, std::move(text)}); }

std::vector<std::string> values_of(const Element& field) {
    std::vector<std::string> out;
    for (const auto& v : field.children())
        if (!v.is_text() && v.name() == "value" && v.xmlns() == ns::data_forms) out.push_back(v.text());
    return out;
}

std::optional<std::string> single(const Element& field, const std::string& var, std::string& why) {
    auto values = values_of(field);
    if (values.size() != 1) {
        why = "field '" + var + "' takes one value";
        return std::nullopt;
    }
    return values[0];
}

std::optional<Error> read_form(const Element& x, MamQuery& q) {
    const std::string_view type = x.attr_or("type", "submit");
    if (type != "submit") return Error{StanzaError::bad_request, "the form must be of type 'submit'"};
    std::set<std::string> seen;
    for (const auto& field : x.children()) {
        if (field.is_text() || field.xmlns() != ns::data_forms || field.name() != "field") continue;
        const std::string var(field.attr_or("var"));
        if (!seen.insert(var).second) return Error{StanzaError::bad_request, "field '" + var + "' appears twice"};
        std::string why;
        if (var == "ids") {
            q.ids = values_of(field);
            if (q.ids.size() > kMaxMamIds) return Error{StanzaError::policy_violation, "too many ids"};
            for (const auto& id : q.ids)
                if (id.empty()) return Error{StanzaError::bad_request, "an empty id"};
            continue;
        }
        auto value = single(field, var, why);
        if (!value) return Error{StanzaError::bad_request, why};
        if (var == "FORM_TYPE") {
            if (*value != ns::mam) return Error{StanzaError::bad_request, "FORM_TYPE is not " + std::string(ns::mam)};
        } else if (var == "with") {
            q.with = Jid::parse(*value);
            if (!q.with) return Error{StanzaError::bad_request, "'with' is not a JID"};
        } else if (var == "start" || var == "end") {
            auto us = parse_xep82_us(*value);
            if (!us) return Error{StanzaError::bad_request, "'" + var + "' is not a XEP-0082 DateTime"};
            (var == "start" ? q.start_us : q.end_us) = *us;
        } else if (var == "after-id" || var == "before-id") {
            if (value->empty()) return Error{StanzaError::bad_request, "'" + var + "' is empty"};
            (var == "after-id" ? q.after_id : q.before_id) = *value;
        } else if (var == "include-groupchat") {
            // User archives hold no groupchat messages (XEP-0313 §5.1.1):
            // either answer selects the same messages.
            if (*value != "true" && *value != "false" && *value != "1" && *value != "0")
                return Error{StanzaError::bad_request, "'include-groupchat' is not a boolean"};
        } else {
            return Error{StanzaError::bad_request, "unknown field '" + var + "'"};
        }
    }
    return std::nullopt;
}

std::optional<Error> read_set(const Element& set, MamQuery& q) {
    for (const auto& c : set.children()) {
        if (c.is_text() || c.xmlns() != ns::rsm) continue;
        const std::string text = c.text();
        if (c.name() == "max") {
            if (q.max) return Error{StanzaError::bad_request, "two <max/>"};
            std::size_t n = 0;
            auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
            if (text.empty() || ec != std::errc() || end != text.data() + text.size())
                return Error{StanzaError::bad_request, "<max/> is not a non-negative integer"};
            q.max = n;
        } else if (c.name() == "after") {
            if (q.after) return Error{StanzaError::bad_request, "two <after/>"};
            if (text.empty()) return Error{StanzaError::bad_request, "<after/> is empty"};
            q.after = text;
        } else if (c.name() == "before") {
            if (q.before) return Error{StanzaError::bad_request, "two <before/>"};
            q.before = text;
        } else if (c.name() == "index") {
            return Error{StanzaError::feature_not_implemented, "paging by <index/> is not supported"};
        }
    }
    return std::nullopt;
}

}  // namespace

Result<MamQuery, MamQueryError> parse_mam_query(const Element& query) {
    MamQuery q;
    q.queryid = std::string(query.attr_or("queryid"));
    bool form = false, set = false;
    for (const auto& c : query.children()) {
        if (c.is_text()) continue;
        if (c.name() == "x" && c.xmlns() == ns::data_forms) {
            if (form) return bad("two forms");
            form = true;
            if (auto err = read_form(c, q)) return fail(std::move(*err));
        } else if (c.name() == "set" && c.xmlns() == ns::rsm) {
            if (set) return bad("two <set/>");
            set = true;
            if (auto err = read_set(c, q)) return fail(std::move(*err));
        } else if (c.name() == "flip-page" && c.xmlns() == ns::mam) {
            q.flip_page = true;
        } else {
            return bad("unexpected <" + c.name() + "/> in the query");
        }
    }
    return q;
}

Element mam_query_form() {
    Element x("x", std::string(ns::data_forms));
    x.set_attr("type", "form");
    auto field = [&x](std::string_view var, std::string_view type) -> Element& {
        Element& f = x.add_child(Element("field", std::string(ns::data_forms)));
        f.set_attr("var", std::string(var));
        f.set_attr("type", std::string(type));
        return f;
    };
    field("FORM_TYPE", "hidden")
        .add_child(Element("value", std::string(ns::data_forms)))
        .add_text(std::string(ns::mam));
    field("with", "jid-single");
    field("start", "text-single");
    field("end", "text-single");
    field("after-id", "text-single");
    field("before-id", "text-single");
    field("ids", "text-multi");
    field("include-groupchat", "boolean");
    return x;
}

std::optional<std::int64_t> parse_xep82_us(std::string_view stamp) {
    auto seconds = parse_xep82(stamp);
    if (!seconds) return std::nullopt;
    std::int64_t micro = 0;
    // CCYY-MM-DDThh:mm:ss is 19 characters; a fraction follows as '.' digits.
    if (stamp.size() > 20 && stamp[19] == '.') {
        std::int64_t scale = 100000;
        for (std::size_t i = 20; i < stamp.size() && stamp[i] >= '0' && stamp[i] <= '9'; ++i) {
            micro += (stamp[i] - '0') * scale;
            scale /= 10;
        }
    }
    // Overflow: a year within what parse_xep82 accepts fits in microseconds.
    constexpr std::int64_t limit = INT64_MAX / 1000000 - 1;
    if (*seconds > limit || *seconds < -limit) return std::nullopt;
    return *seconds * 1000000 + micro;
}

std::string xep82_datetime_us(std::int64_t unix_us) {
    std::int64_t seconds = unix_us / 1000000;
    std::int64_t micro = unix_us % 1000000;
    if (micro < 0) {
        micro += 1000000;
        seconds -= 1;
    }
    std::string whole = xep82_datetime(seconds);  // ends with 'Z'
    char fraction[8];
    std::snprintf(fraction, sizeof fraction, ".%06lld", static_cast<long long>(micro));
    whole.insert(whole.size() - 1, fraction);
    return whole;
}

}  // namespace xmpp
