#include "server/modules/mam_page.hpp"

#include <algorithm>

#include "server/router/router.hpp"
#include "xmpp/namespaces.hpp"
#include "xmpp/stanza_id.hpp"
#include "xmpp/stored_xml.hpp"

namespace server::modules {

namespace {

using xmpp::MamQueryError;
using xmpp::StanzaError;

MamQueryError storage_error() { return {StanzaError::internal_server_error, "the archive cannot be read"}; }

xmpp::Element iq_result(const xmpp::Element& iq, const xmpp::Jid& archive, const xmpp::Jid& asker) {
    xmpp::Element result("iq", std::string(xmpp::ns::client));
    result.set_attr("type", "result");
    if (const std::string* id = iq.attr("id")) result.set_attr("id", *id);
    result.set_attr("from", archive.full());
    result.set_attr("to", asker.full());
    return result;
}

xmpp::Element result_message(const xmpp::Jid& archive, const xmpp::Jid& asker, const std::string& queryid,
                             const store::ArchivedMessage& item, xmpp::Element stored) {
    xmpp::Element out("message", std::string(xmpp::ns::client));
    out.set_attr("to", asker.full());
    out.set_attr("from", archive.full());
    out.set_attr("id", xmpp::new_stanza_id());
    auto& result = out.add_child(xmpp::Element("result", std::string(xmpp::ns::mam)));
    if (!queryid.empty()) result.set_attr("queryid", queryid);
    result.set_attr("id", item.id);
    auto& forwarded = result.add_child(xmpp::Element("forwarded", std::string(xmpp::ns::forward)));
    forwarded.add_child(xmpp::Element("delay", std::string(xmpp::ns::delay)))
        .set_attr("stamp", xmpp::xep82_datetime_us(item.stamp_us));
    forwarded.add_child(std::move(stored));
    return out;
}

}  // namespace

MamPage assemble(FetchedRows fetched) {
    MamPage page;
    auto& rows = fetched.rows;
    const bool more = rows.size() > fetched.max;
    if (more) {
        // The extra row lies beyond the page in the direction of paging.
        if (fetched.backward)
            rows.erase(rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(rows.size() - fetched.max));
        else
            rows.resize(fetched.max);
    }
    page.complete = !more;
    // The page starts the result set: paging forward from its beginning, or
    // backward down to it.
    const bool at_start = fetched.backward ? !more : !fetched.from_anchor;
    // And holds all of it.
    const bool whole = !fetched.from_anchor && !more;
    if (at_start && !rows.empty() && !fetched.flip) page.first_index = 0;
    if (whole) page.count = rows.size();
    if (fetched.flip) std::reverse(rows.begin(), rows.end());
    page.items = std::move(rows);
    return page;
}

xmpp::Result<MamPage, MamQueryError> fetch_page(store::ArchiveStore& store, const std::string& user,
                                                const std::string& domain, const xmpp::MamQuery& query,
                                                const MamLimits& limits) {
    auto resolve = [&](const std::string& id, std::optional<std::int64_t>& seq) -> std::optional<MamQueryError> {
        bool ok = true;
        seq = store.seq_of(user, domain, id, ok);
        if (!ok) return storage_error();
        if (!seq) return MamQueryError{StanzaError::item_not_found, "no message '" + id + "' in the archive"};
        return std::nullopt;
    };
    store::ArchiveRange filter;
    if (query.after_id)
        if (auto err = resolve(*query.after_id, filter.after_seq)) return xmpp::fail(std::move(*err));
    if (query.before_id)
        if (auto err = resolve(*query.before_id, filter.before_seq)) return xmpp::fail(std::move(*err));
    filter.start_us = query.start_us;
    if (limits.oldest_us != 0) filter.start_us = std::max(query.start_us.value_or(limits.oldest_us), limits.oldest_us);
    filter.end_us = query.end_us;
    if (query.with) {
        filter.with_bare = query.with->bare_string();
        if (!query.with->is_bare()) filter.with_resource = query.with->resource();
    }
    filter.ids = query.ids;

    store::ArchiveRange range = filter;
    std::optional<std::int64_t> anchor;
    if (query.after) {
        if (auto err = resolve(*query.after, anchor)) return xmpp::fail(std::move(*err));
        range.after_seq = std::max(range.after_seq.value_or(*anchor), *anchor);
    }
    if (query.before && !query.before->empty()) {
        if (auto err = resolve(*query.before, anchor)) return xmpp::fail(std::move(*err));
        range.before_seq = std::min(range.before_seq.value_or(*anchor), *anchor);
    }

    const std::size_t max = std::min(query.max.value_or(limits.default_page), limits.max_page);
    if (max == 0) {
        // XEP-0059 §2.6: the count alone.
        auto count = store.count(user, domain, filter);
        if (!count) return xmpp::fail(storage_error());
        MamPage page;
        page.count = *count;
        page.complete = *count == 0;
        return page;
    }
    FetchedRows fetched;
    fetched.max = max;
    fetched.backward = query.before.has_value();
    fetched.from_anchor = query.after.has_value() || (query.before && !query.before->empty());
    fetched.flip = query.flip_page;
    auto rows = store.select(user, domain, range, fetched.backward, max + 1);
    if (!rows) return xmpp::fail(storage_error());
    fetched.rows = std::move(*rows);
    return assemble(std::move(fetched));
}

xmpp::Element fin_element(const MamPage& page) {
    xmpp::Element fin("fin", std::string(xmpp::ns::mam));
    if (page.complete) fin.set_attr("complete", "true");
    auto& set = fin.add_child(xmpp::Element("set", std::string(xmpp::ns::rsm)));
    if (!page.items.empty()) {
        auto& first = set.add_child(xmpp::Element("first", std::string(xmpp::ns::rsm)));
        if (page.first_index) first.set_attr("index", std::to_string(*page.first_index));
        first.add_text(page.items.front().id);
        set.add_child(xmpp::Element("last", std::string(xmpp::ns::rsm))).add_text(page.items.back().id);
    }
    if (page.count)
        set.add_child(xmpp::Element("count", std::string(xmpp::ns::rsm))).add_text(std::to_string(*page.count));
    return fin;
}

xmpp::Result<xmpp::Element, MamQueryError> archive_metadata(store::ArchiveStore& store, const std::string& user,
                                                            const std::string& domain, const MamLimits& limits) {
    store::ArchiveRange all;
    if (limits.oldest_us != 0) all.start_us = limits.oldest_us;
    auto first = store.select(user, domain, all, false, 1);
    auto last = store.select(user, domain, all, true, 1);
    if (!first || !last) return xmpp::fail(storage_error());
    xmpp::Element metadata("metadata", std::string(xmpp::ns::mam));
    if (!first->empty() && !last->empty())
        for (const auto& [name, row] : {std::pair{"start", &first->front()}, std::pair{"end", &last->front()}})
            metadata.add_child(xmpp::Element(name, std::string(xmpp::ns::mam)))
                .set_attr("id", row->id)
                .set_attr("timestamp", xmpp::xep82_datetime_us(row->stamp_us));
    return metadata;
}

void answer_query(store::ArchiveStore& store, const xmpp::Element& iq, const xmpp::Jid& archive,
                  const xmpp::Jid& asker, const xmpp::MamQuery& query, const MamLimits& limits, Router& router) {
    auto page = fetch_page(store, archive.local(), archive.domain(), query, limits);
    if (!page) return router.bounce(iq, page.error().condition, page.error().text);
    for (const auto& item : page.value().items) {
        auto stored = xmpp::parse_stored(item.xml);
        if (!stored) continue;
        router.send(result_message(archive, asker, query.queryid, item, std::move(*stored)));
    }
    auto result = iq_result(iq, archive, asker);
    result.add_child(fin_element(page.value()));
    router.send(result);
}

void answer_metadata(store::ArchiveStore& store, const xmpp::Element& iq, const xmpp::Jid& archive,
                     const xmpp::Jid& asker, const MamLimits& limits, Router& router) {
    auto metadata = archive_metadata(store, archive.local(), archive.domain(), limits);
    if (!metadata) return router.bounce(iq, metadata.error().condition, metadata.error().text);
    auto result = iq_result(iq, archive, asker);
    result.add_child(std::move(metadata.value()));
    router.send(result);
}

}  // namespace server::modules
