// One page of an account's message archive (XEP-0313) for a parsed query
// (xmpp/mam_query.hpp), by the paging rules of XEP-0059 as XEP-0313 uses
// them: the archive ids a query names (after-id, before-id, the RSM
// <after/> and <before/>) must exist in the archive (item-not-found
// otherwise); an RSM <before/> pages backward from that id, or from the end
// when empty; a page is at most `max` messages, read with one more so that
// `complete` (no message left in the direction of paging) needs no count;
// max='0' asks only for the count (XEP-0059 §2.6). A page names its first
// index and the count only where they come free (a page that starts at the
// beginning of the result set, or holds all of it): a count over an archive
// of 100,000 messages would cost more than the page, and XEP-0313 leaves
// them optional.
//
// The archive is an account's (module mam) or a room's (module muc: rows
// under the room's local part and service domain): the same store, paging
// and answers. fetch_page(), archive_metadata() and the answer_*()
// functions call the store: storage thread. assemble() is pure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "server/store/archive_store.hpp"
#include "xmpp/mam_query.hpp"
#include "xmpp/result.hpp"

namespace server {
class Router;
}

namespace server::modules {

struct MamLimits {
    std::size_t default_page = 50;   // a query without <max/>
    std::size_t max_page = 250;      // a larger <max/> is cut down to it
    std::int64_t oldest_us = 0;      // retention: nothing older is shown (0: no limit)
};

struct MamPage {
    std::vector<store::ArchivedMessage> items;  // in the order they are sent
    bool complete = false;
    std::optional<std::size_t> first_index;
    std::optional<std::size_t> count;
};

// What the store answered, and the shape of the request it answered.
struct FetchedRows {
    std::vector<store::ArchivedMessage> rows;  // sequence order, at most max + 1
    std::size_t max = 0;
    bool backward = false;       // an RSM <before/>
    bool from_anchor = false;    // an RSM <after/> or a non-empty <before/>
    bool flip = false;
};

MamPage assemble(FetchedRows fetched);

xmpp::Result<MamPage, xmpp::MamQueryError> fetch_page(store::ArchiveStore& store, const std::string& user,
                                                      const std::string& domain, const xmpp::MamQuery& query,
                                                      const MamLimits& limits);

// <fin xmlns='urn:xmpp:mam:2' [complete='true']><set xmlns=RSM>...</set></fin>
xmpp::Element fin_element(const MamPage& page);

// The archive metadata of #extended (XEP-0313 §7): <metadata/> with <start/>
// and <end/> naming the id and time of the first and last message the
// account can see (within retention); empty when it sees none.
xmpp::Result<xmpp::Element, xmpp::MamQueryError> archive_metadata(store::ArchiveStore& store, const std::string& user,
                                                                  const std::string& domain, const MamLimits& limits);

// Answers the query `iq` (already parsed as `query`) from `asker` of the
// archive of `archive` (a bare JID: its local part and domain name the
// store's rows): one <message from=archive><result/></message> per archived
// message, the stored stanza forwarded with its <delay/>, then the iq result
// with <fin/>; or the error the query deserves.
void answer_query(store::ArchiveStore& store, const xmpp::Element& iq, const xmpp::Jid& archive,
                  const xmpp::Jid& asker, const xmpp::MamQuery& query, const MamLimits& limits, Router& router);

// Answers the metadata query `iq` (XEP-0313 §7) of the archive of `archive`.
void answer_metadata(store::ArchiveStore& store, const xmpp::Element& iq, const xmpp::Jid& archive,
                     const xmpp::Jid& asker, const MamLimits& limits, Router& router);

}  // namespace server::modules
