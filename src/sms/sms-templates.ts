/**
 * The two templates of the `sms` section: the message (`{code}`, `{expires}`) and a
 * webhook's body (`{number}`, `{message}`). Each placeholder is replaced in one pass, so a
 * value that itself looks like a placeholder is never replaced again.
 */

function fill(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(/\{([a-z]+)\}/g, (whole, name: string) => values[name] ?? whole);
}

/** The SMS text: the code grouped as the CLI shows it (hyphens are ignored when typed), the expiry in the helpdesk's zone. */
export function smsText(template: string, values: { readonly code: string; readonly expires: string }): string {
  return fill(template, values);
}

/** A body whose content type is JSON takes JSON string escapes; any other, form encoding. */
export function isJsonContentType(contentType: string): boolean {
  return /json/i.test(contentType);
}

/**
 * A webhook's body: in a JSON body each value is escaped as the inside of a JSON string
 * (the template writes the quotes), so a message with a quote cannot break or extend the
 * document; otherwise it is form-encoded (application/x-www-form-urlencoded, as Twilio's
 * API takes `To={number}&Body={message}`).
 */
export function webhookBody(template: string, contentType: string, values: { readonly number: string; readonly message: string }): string {
  const escape = isJsonContentType(contentType) ? (value: string) => JSON.stringify(value).slice(1, -1) : (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
  return fill(template, { number: escape(values.number), message: escape(values.message) });
}
