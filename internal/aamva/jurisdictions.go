package aamva

// Jurisdiction is an issuer of AAMVA cards, named by its Issuer
// Identification Number (IIN).
type Jurisdiction struct {
	Code    string // postal abbreviation: CA, ON, ...
	Name    string
	Country string // USA, CAN or MEX
}

// Jurisdictions is AAMVA's table of IINs.
var Jurisdictions = map[string]Jurisdiction{
	"636033": {"AL", "Alabama", "USA"}, "636059": {"AK", "Alaska", "USA"}, "604432": {"AB", "Alberta", "CAN"},
	"604427": {"AS", "American Samoa", "USA"}, "636026": {"AZ", "Arizona", "USA"}, "636021": {"AR", "Arkansas", "USA"},
	"636028": {"BC", "British Columbia", "CAN"}, "636014": {"CA", "California", "USA"}, "636056": {"COA", "Coahuila", "MEX"},
	"636020": {"CO", "Colorado", "USA"}, "636006": {"CT", "Connecticut", "USA"}, "636011": {"DE", "Delaware", "USA"},
	"636043": {"DC", "District of Columbia", "USA"}, "636010": {"FL", "Florida", "USA"}, "636055": {"GA", "Georgia", "USA"},
	"636019": {"GU", "Guam", "USA"}, "636047": {"HI", "Hawaii", "USA"}, "636057": {"HID", "Hidalgo", "MEX"},
	"636050": {"ID", "Idaho", "USA"}, "636035": {"IL", "Illinois", "USA"}, "636037": {"IN", "Indiana", "USA"},
	"636018": {"IA", "Iowa", "USA"}, "636022": {"KS", "Kansas", "USA"}, "636046": {"KY", "Kentucky", "USA"},
	"636007": {"LA", "Louisiana", "USA"}, "636041": {"ME", "Maine", "USA"}, "636048": {"MB", "Manitoba", "CAN"},
	"636003": {"MD", "Maryland", "USA"}, "636002": {"MA", "Massachusetts", "USA"}, "636032": {"MI", "Michigan", "USA"},
	"636038": {"MN", "Minnesota", "USA"}, "636051": {"MS", "Mississippi", "USA"}, "636030": {"MO", "Missouri", "USA"},
	"636008": {"MT", "Montana", "USA"}, "636054": {"NE", "Nebraska", "USA"}, "636049": {"NV", "Nevada", "USA"},
	"636017": {"NB", "New Brunswick", "CAN"}, "636039": {"NH", "New Hampshire", "USA"}, "636036": {"NJ", "New Jersey", "USA"},
	"636009": {"NM", "New Mexico", "USA"}, "636001": {"NY", "New York", "USA"}, "636016": {"NL", "Newfoundland and Labrador", "CAN"},
	"636004": {"NC", "North Carolina", "USA"}, "636034": {"ND", "North Dakota", "USA"}, "604430": {"MP", "Northern Mariana Islands", "USA"},
	"636013": {"NS", "Nova Scotia", "CAN"}, "604433": {"NU", "Nunavut", "CAN"}, "636023": {"OH", "Ohio", "USA"},
	"636058": {"OK", "Oklahoma", "USA"}, "636012": {"ON", "Ontario", "CAN"}, "636029": {"OR", "Oregon", "USA"},
	"636025": {"PA", "Pennsylvania", "USA"}, "604426": {"PE", "Prince Edward Island", "CAN"}, "604431": {"PR", "Puerto Rico", "USA"},
	"604428": {"QC", "Quebec", "CAN"}, "636052": {"RI", "Rhode Island", "USA"}, "636044": {"SK", "Saskatchewan", "CAN"},
	"636005": {"SC", "South Carolina", "USA"}, "636042": {"SD", "South Dakota", "USA"}, "636053": {"TN", "Tennessee", "USA"},
	"636027": {"DS", "US Department of State", "USA"}, "636015": {"TX", "Texas", "USA"}, "636062": {"VI", "US Virgin Islands", "USA"},
	"636040": {"UT", "Utah", "USA"}, "636024": {"VT", "Vermont", "USA"}, "636000": {"VA", "Virginia", "USA"},
	"636045": {"WA", "Washington", "USA"}, "636061": {"WV", "West Virginia", "USA"}, "636031": {"WI", "Wisconsin", "USA"},
	"636060": {"WY", "Wyoming", "USA"}, "604429": {"YT", "Yukon", "CAN"}, "604434": {"NT", "Northwest Territories", "CAN"},
}

// canadian is the set of Canadian province and territory codes, for cards
// whose IIN is not in the table.
var canadian = map[string]bool{"AB": true, "BC": true, "MB": true, "NB": true, "NL": true, "NS": true, "NT": true,
	"NU": true, "ON": true, "PE": true, "QC": true, "SK": true, "YT": true}
