package provision

// azureSubscriptionFix is the remedy for a subscription the provider
// cannot use: the Azure CLI login, its default subscription, or the id in
// skyplan's config (which the compiler passes to the provider).
const azureSubscriptionFix = "log in with `az login` (a service principal: set ARM_CLIENT_ID, ARM_CLIENT_SECRET and ARM_TENANT_ID), then select the subscription with `az account set --subscription <id>` or set `azure.subscription_id` in skyplan's config to one that `az account list` shows"

// Azure error families: ARM error codes as azurerm prints them
// ("unexpected status 409 (409 Conflict) with error: CODE: …", or
// autorest's Code="…" Message="…"), and the provider's own authorizer
// errors raised before any API call.
var azureErrors = register("azure", &CloudErrors{
	Rules: []Rule{
		// "unable to build authorizer for Resource Manager API: could not
		// configure AzureCli Authorizer: the provided subscription ID "…" is
		// not known by Azure CLI" (azurerm 3.x/4.x), or the CLI not logged in.
		{Class: Auth, Code: "AzureCliAuthorizer", Fix: azureSubscriptionFix,
			Pattern: `unable to build authorizer|could not configure AzureCli Authorizer|is not known by Azure CLI|Please run 'az login'|obtaining subscription ID`},
		{Class: Auth, Pattern: `AuthorizationFailed|SubscriptionNotFound|ClientAuthenticationError|ReadOnlyDisabledSubscription|InvalidAuthenticationToken`},
		{Class: Config, Fix: azureSubscriptionFix, Pattern: `subscription ID could not be determined`},
		{Class: Config, Pattern: `can only be specified when|InvalidParameter\b|InvalidResourceName`},
		{Class: Transient, Pattern: `RetryableError|context deadline exceeded|TooManyRequests|InternalServerError|\b50[234]\b`},
		{Class: Spot, Pattern: `(?i)spot|low ?priority`},
		{Class: Quota, Pattern: `QuotaExceeded|exceeding approved|exceeding quota|quota limits`},
		{Class: Capacity, Pattern: `SkuNotAvailable|AllocationFailed|ZonalAllocationFailed|Overconstrained(?:Zonal)?AllocationRequest|Allocation failed|not available in location`},
	},
	Fix: map[Class]string{
		Auth: "check the Azure login (`az login`), the subscription (`az account set --subscription <id>` or `azure.subscription_id` in skyplan's config) and the role assignments",
	},
})
