#include "server/system/config_reload.hpp"

namespace server {

ReloadPlan plan_reload(const conf::Config& running, conf::Config fresh) {
    ReloadPlan plan;
    if (fresh.listeners != running.listeners) plan.ignored.push_back("listeners");
    if (fresh.data_dir != running.data_dir) plan.ignored.push_back("data_dir");
    if (fresh.workers != running.workers) plan.ignored.push_back("workers");
    fresh.listeners = running.listeners;
    fresh.data_dir = running.data_dir;
    fresh.workers = running.workers;
    plan.config = std::move(fresh);
    return plan;
}

}  // namespace server
