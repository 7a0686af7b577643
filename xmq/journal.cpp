#include "xmq/journal.hpp"

namespace xmq {

namespace {

class NoJournal final : public Journal {
public:
    void held(std::string_view, const KeptStanza&) override {}
    void unheld(std::string_view, std::string_view) override {}
    void delivering(std::string_view, const KeptStanza&, std::string_view) override {}
    void settled(std::string_view, std::string_view) override {}
    void durable_subscribed(std::string_view, std::string_view, std::string_view) override {}
    void durable_ended(std::string_view, std::string_view, std::string_view) override {}
};

}  // namespace

Journal& no_journal() {
    static NoJournal journal;
    return journal;
}

}  // namespace xmq
