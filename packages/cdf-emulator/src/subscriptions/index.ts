// Datapoint subscriptions (`/timeseries/subscriptions*`).
export { registerSubscriptionRoutes } from "./subscriptionRoutes.js";
export { SubscriptionStore, subscriptionLimits } from "./subscriptionStore.js";
