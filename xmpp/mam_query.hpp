// The archive query of XEP-0313 (urn:xmpp:mam:2 and its #extended fields)
// with its XEP-0059 result set, read from the <query/> a client sends, and
// the query form the server describes itself with. Only reading: what the
// query selects and how it pages is the archive's business
// (server/modules/mam_page.hpp). Untrusted input: every malformed piece is
// the stanza error XEP-0313 and XEP-0059 name (bad-request; an RSM <index/>,
// which needs a count per page, is feature-not-implemented).
// Pure functions; any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "xmpp/element.hpp"
#include "xmpp/errors.hpp"
#include "xmpp/jid.hpp"
#include "xmpp/result.hpp"

namespace xmpp {

struct MamQuery {
    std::string queryid;  // echoed on every result
    // Form fields.
    std::optional<Jid> with;
    std::optional<std::int64_t> start_us;  // inclusive, Unix microseconds
    std::optional<std::int64_t> end_us;    // inclusive
    std::optional<std::string> after_id;   // #extended: exclusive bounds
    std::optional<std::string> before_id;
    std::vector<std::string> ids;  // #extended: only these
    bool flip_page = false;        // #extended: the page in reverse order
    // XEP-0059.
    std::optional<std::size_t> max;
    std::optional<std::string> after;   // page forward from this id
    std::optional<std::string> before;  // page backward from this id; empty: from the end
};

struct MamQueryError {
    StanzaError condition;
    std::string text;
};

// At most this many values of the 'ids' field.
inline constexpr std::size_t kMaxMamIds = 250;

Result<MamQuery, MamQueryError> parse_mam_query(const Element& query);

// The <x type='form'/> an iq get of the query answers with: every field
// parse_mam_query() understands.
Element mam_query_form();

// XEP-0082 DateTime with its fraction kept, as Unix microseconds.
std::optional<std::int64_t> parse_xep82_us(std::string_view stamp);
// "2026-11-21T09:11:03.095123Z" (microseconds, the precision the archive keeps).
std::string xep82_datetime_us(std::int64_t unix_us);

}  // namespace xmpp
