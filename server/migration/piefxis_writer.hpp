// Writing XEP-0227 (see piefxis.hpp): one <user> element per account, and the
// document around them, streamed so that an export never holds more than one
// user in memory. The output reads back with read_pie() to the same data:
// SCRAM secrets as <scram-credentials> (never a password: xmqd has none),
// roster items with subscription and ask, pending inbound requests as
// <presence type='subscribe'/>, the vCard, private XML, offline messages with
// their delay stamps, and the block list as ejabberd writes it (a default
// privacy list denying each JID everything), which ejabberd reads back.
// Not thread-safe; one writer per output stream.
#pragma once

#include <ostream>
#include <string>

#include "server/migration/piefxis.hpp"

namespace server::migration {

xmpp::Element user_element(const PieUser& user, const std::string& domain);

class PieWriter {
public:
    explicit PieWriter(std::ostream& out);
    void begin_host(const std::string& domain);
    void user(const PieUser& user);
    void end_host();
    // Closes the document; false when the stream failed at any point.
    bool finish();

private:
    std::ostream& out_;
    std::string domain_;
};

}  // namespace server::migration
