package azure

import "github.com/skyplan/skyplan/cloud"

// subscriptionFix is the remedy for a subscription the provider
// cannot use: the Azure CLI login, its default subscription, or the id in
// skyplan's config (which the compiler passes to the provider).
const subscriptionFix = "log in with `az login` (a service principal: set ARM_CLIENT_ID, ARM_CLIENT_SECRET and ARM_TENANT_ID), then select the subscription with `az account set --subscription <id>` or set `azure.subscription_id` in skyplan's config to one that `az account list` shows"

// Azure error families: ARM error codes as azurerm prints them
// ("unexpected status 409 (409 Conflict) with error: CODE: …", or
// autorest's Code="…" Message="…"), and the provider's own authorizer
// errors raised before any API call.
var errorTable = &cloud.ErrorTable{
	Rules: []cloud.ErrorRule{
		// "unable to build authorizer for Resource Manager API: could not
		// configure AzureCli Authorizer: the provided subscription ID "…" is
		// not known by Azure CLI" (azurerm 3.x/4.x), or the CLI not logged in.
		{Class: cloud.Auth, Code: "AzureCliAuthorizer", Fix: subscriptionFix,
			Pattern: `unable to build authorizer|could not configure AzureCli Authorizer|is not known by Azure CLI|Please run 'az login'|obtaining subscription ID`},
		{Class: cloud.Auth, Pattern: `AuthorizationFailed|SubscriptionNotFound|ClientAuthenticationError|ReadOnlyDisabledSubscription|InvalidAuthenticationToken`},
		{Class: cloud.Config, Fix: subscriptionFix, Pattern: `subscription ID could not be determined`},
		{Class: cloud.Config, Pattern: `can only be specified when|InvalidParameter\b|InvalidResourceName`},
		{Class: cloud.Transient, Pattern: `RetryableError|context deadline exceeded|TooManyRequests|InternalServerError|\b50[234]\b`},
		{Class: cloud.Spot, Pattern: `(?i)spot|low ?priority`},
		{Class: cloud.Quota, Pattern: `QuotaExceeded|exceeding approved|exceeding quota|quota limits`},
		{Class: cloud.Capacity, Pattern: `SkuNotAvailable|AllocationFailed|ZonalAllocationFailed|Overconstrained(?:Zonal)?AllocationRequest|Allocation failed|not available in location`},
	},
	Fix: map[cloud.ErrorClass]string{
		cloud.Auth: "check the Azure login (`az login`), the subscription (`az account set --subscription <id>` or `azure.subscription_id` in skyplan's config) and the role assignments",
	},
}

// ErrorTable is the classifier's table of the cloud's provisioning errors.
func (Cloud) ErrorTable() *cloud.ErrorTable { return errorTable }
