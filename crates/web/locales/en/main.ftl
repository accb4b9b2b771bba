## Chrome
site-title = Migration services portal
skip-link = Skip to main content
nav-home = Home
nav-login = Sign in
nav-register = Create an account
nav-account = My account
nav-logout = Sign out
nav-mailbox = Demo mailbox
lang-switch = Русский
lang-switch-code = ru
footer-text = migportal — an open portal for migration services. Never tell anyone your password or SMS codes: portal staff never ask for them.
demo-banner = Demo mode: e-mails and text messages are not sent; they are shown on the "Demo mailbox" page.
error-summary-title = There is a problem
back-link = Back
page-not-found = Page not found
page-not-found-lead = Check the address or go back to the home page.
page-error = Something went wrong
page-error-lead = We know about the problem. Try again in a few minutes — your data is not lost.

## Index
index-title = Migration services online
index-lead = Internal and travel passports, registration at an address, permits for foreign nationals — without queues. Start by creating an account.
index-register = Create an account
index-login = Sign in to your account

## Registration
register-title = Create an account
register-lead = A simplified account needs your surname, given name, a mobile phone or e-mail, and a password.
field-surname = Surname
field-given-name = Given name
field-patronymic = Patronymic (if any)
field-contact = Mobile phone or e-mail
hint-contact = For example +7 916 123-45-67 or ivanov@mail.ru. We will send a confirmation code there.
field-password = Password
hint-password = At least 10 characters. Do not use your name, phone or simple passwords like qwerty123.
field-password-repeat = Repeat the password
register-submit = Create account
register-have-account = Already have an account? Sign in.

## Confirmation code
confirm-title = Confirm your contact
confirm-lead = We sent a confirmation code to { $destination }. The code is valid for 5 minutes.
field-code = 6-digit code
confirm-submit = Confirm
confirm-resend = Send a new code
confirm-resent = A new code has been sent. The previous code no longer works.
confirm-done = Your contact is confirmed. Now sign in with your password.

## Login
login-title = Sign in
login-lead = Sign in with your phone number, e-mail or SNILS.
field-login = Phone, e-mail or SNILS
field-login-password = Password
login-submit = Sign in
login-no-account = No account yet? Create one.
logout-done = You have signed out.

## Account
account-title = My account
account-name = Full name
account-contact = Sign-in contact
account-level = Account level
level-simplified = Simplified
level-standard = Standard
level-confirmed = Confirmed
level-help-simplified = To get a standard account, add your SNILS and passport — we will check them with the state registries.
level-help-standard = Your data is verified. Applications for migration services need a confirmed account.
level-help-confirmed = Your identity is confirmed. All services are available.
identity-heading = Documents and data
identity-state-not_submitted = No documents yet.
identity-state-pending = Your data is being checked with the registries. This usually takes a few minutes; the status updates when you open this page again.
identity-state-verified = Data verified: { $masked }.
identity-state-failed = The check failed.
identity-start-link = Add SNILS and passport
identity-fix-link = Correct the data and check again
identity-change-link = Change documents

## Identity form
identity-title = SNILS and identity document
identity-lead = The data is checked automatically with the Social Fund, the Interior Ministry and the Tax Service. Your name and date of birth must match your documents.
section-citizenship = Citizenship
citizenship-russian = Citizen of the Russian Federation
citizenship-foreign = Foreign national or stateless person
section-person = Personal details
section-russian = Russian internal passport (citizens of Russia)
section-foreign = Foreign national's documents
field-birth-date = Date of birth
hint-date = As DD.MM.YYYY, for example 14.03.1985
field-snils = SNILS
hint-snils = 11 digits, for example 123-456-789 01. Foreign nationals: if you have one.
field-inn = INN (optional)
hint-inn = 12 digits
field-passport = Passport series and number
hint-passport = 10 digits, for example 45 10 123456
field-passport-issued-on = Date of issue
field-office-code = Issuing office code
hint-office-code = 6 digits, for example 770-001
field-foreign-passport = Passport number
field-country = Country that issued the passport
hint-country = Three-letter country code, for example UZB, KAZ, TJK
field-migration-card = Migration card (if any)
hint-migration-card = Series and number, for example 4617 1234567
identity-submit = Send for checking
identity-submitted = Your data has been sent for checking. The result will appear in your account.

## Verification failures
reason-snils_not_found = The SNILS was not found at the Social Fund. Check the number on your SNILS card; if it is right, contact the Social Fund.
reason-snils_mismatch = The SNILS belongs to a person with a different name or date of birth. Enter them exactly as in your SNILS record; if the Fund's record is outdated, ask them to correct it.
reason-passport_not_found = The passport was not found or is not valid. Check the series, number, date of issue and office code; if all are right, contact the migration office to correct the record.
reason-passport_invalid = The passport is recorded as invalid (lost, replaced or expired). Enter a valid passport; if you hold this one, contact the migration office.
reason-passport_mismatch = The passport data does not match your name or date of birth. Enter them exactly as in the passport.
reason-foreign_document_not_found = The foreign document was not found. Check the passport number, country and migration card; if all are right, contact the migration office.
reason-foreign_document_invalid = The foreign document is recorded as invalid. Enter a valid document or contact the migration office.
reason-foreign_document_mismatch = The document data does not match your name, date of birth or migration card. Enter everything exactly as in your documents.
reason-inn_not_found = The INN was not found at the Tax Service. Check the number or leave it empty — INN is optional.
reason-inn_mismatch = The INN belongs to someone else. Check the number or leave it empty — INN is optional.

## Demo mailbox
mailbox-title = Demo mailbox
mailbox-warning = This is demo mode: nothing was actually sent. Every e-mail and text message of the portal appears here — a real server has no such page.
mailbox-empty = No messages yet.
mailbox-to = To

## Messages sent to people
msg-code-subject = Confirmation code
msg-code-body = Your migportal confirmation code: { $code }. Never tell anyone this code. It is valid for 5 minutes.
msg-identity-subject = Result of the data check
msg-identity-verified = Your data is verified; your account is now standard.
msg-identity-failed = The data check failed. Open your account to see why and correct the data.

## Errors: API titles
err-validation-failed = Check the data you entered
err-json-syntax = The request body is not valid JSON
err-json-schema = The request fields do not match the API: { $detail }
err-json-content-type = Expected a request body with Content-Type: application/json
err-body-too-large = The request is too large
err-not-found = Not found
err-method-not-allowed = This method is not supported here
err-unauthenticated = You need to sign in
err-bad-credentials = Wrong login or password
err-account-not-confirmed = Your contact is not confirmed yet. Register again and we will send a new code.
err-account-blocked = The account is blocked. Contact a service centre.
err-throttled = Too many failed attempts. Try again in { $seconds } s.
err-csrf = The form is out of date or was sent from another site. Reload the page and send it again.
err-internal = Internal error. Try again later — your data is not lost.
err-unavailable = The service is temporarily unavailable
err-identity-locked = Your identity is already confirmed. Documents can be changed at a service centre.

## Errors: fields
err-field-required = Fill in this field
err-contact-required = Enter a mobile phone or an e-mail
err-contact-one-only = Enter just one: phone or e-mail. You can add the other later.
err-phone-taken = This phone already belongs to an account. Sign in or recover access.
err-email-taken = This e-mail already belongs to an account. Sign in or recover access.
err-snils-taken = This SNILS belongs to another account. If it is yours, contact a service centre.
err-foreign-passport-taken = This passport belongs to another account. If it is yours, contact a service centre.
err-password-mismatch = The passwords do not match
err-login-format = Enter a phone (+7…), an e-mail or a SNILS (11 digits)
err-snils-format = A SNILS has 11 digits, for example 123-456-789 01
err-snils-checksum = The SNILS has a mistake: its check number does not match. Compare the digits with the document.
err-snils-required = Enter your SNILS — citizens of Russia must give it
err-inn-format = A personal INN has 12 digits
err-inn-checksum = The INN has a mistake: its check digits do not match.
err-passport-format = Passport series and number are 10 digits, for example 45 10 123456
err-passport-series = There is no such passport series. Check the first 4 digits.
err-passport-number = There is no such passport number. Check the last 6 digits.
err-passport-issued-before-14 = A passport cannot be issued before the age of 14. Check the dates.
err-office-code-format = The office code is 6 digits, for example 770-001
err-foreign-passport-format = A passport number has 5 to 20 Latin letters and digits
err-migration-card-format = Migration card: 4 digits of series and 7 digits of number
err-country-format = Enter a three-letter country code, for example UZB
err-country-russian = For a Russian passport choose "Citizen of the Russian Federation"
err-citizenship-required = Choose your citizenship
err-name-empty = Fill in this field
err-name-too-long = At most 60 characters
err-name-invalid-chars = Use letters, hyphen, apostrophe and space only
err-name-mixed-scripts = A word mixes Cyrillic and Latin letters (for example a Latin "a" instead of a Cyrillic "а"). Type all letters on one keyboard layout.
err-name-cyrillic-required = Citizens of Russia enter their name in Cyrillic, as in the passport
err-phone-format = Enter a mobile number, for example +7 916 123-45-67
err-phone-not-mobile = This is not a mobile number: Russian mobiles start with +7 9
err-email-format = Enter an e-mail address, for example ivanov@mail.ru
err-password-too-short = The password must be at least 10 characters
err-password-too-long = The password must be at most 128 characters
err-password-whitespace = The password must not start or end with a space
err-password-too-simple = The password is too simple: mix different letters, digits and signs
err-password-contains-personal = The password must not contain your name, phone or e-mail
err-password-too-common = This password appears in lists of leaked passwords. Choose another one.
err-date-format = Enter the date as DD.MM.YYYY
err-date-future = The date cannot be in the future
err-date-too-old = Check the year: the date is too long ago
err-birth-date-too-young = A Russian passport is issued from the age of 14
err-otp-format = The code is 6 digits
err-otp-wrong = Wrong code. Attempts left: { $attempts }
err-otp-expired = The code has expired. Request a new one.
err-otp-too-many-attempts = Too many wrong attempts. Request a new code.
err-otp-already-used = This code has already been used
err-otp-resend-wait = You can request a new code in { $seconds } s.
err-otp-resend-limit = No more codes can be sent. Register again.

## Account security
security-title = Security
security-link = Security: password and sessions
sessions-heading = Active sessions
session-current = this session
session-started = started
session-last-seen = last active
session-kind-cookie = browser
session-kind-bearer = app (API)
sessions-end-all = Sign out on all devices
sessions-ended = You have signed out on all devices.
password-heading = Change password
field-current-password = Current password
field-new-password = New password
field-new-password-repeat = Repeat the new password
password-submit = Change password
password-changed = Password changed. All other sessions have ended.
login-forgot = Forgot your password?
reset-title = Reset your password
reset-lead = Enter your phone, e-mail or SNILS. If the account exists, we will send a code to its proven contact.
reset-submit = Send a code
reset-code-title = New password
reset-code-lead = Enter the code sent to your proven phone or e-mail and choose a new password.
reset-code-submit = Save the new password
reset-done = Password changed. Sign in with the new password.
msg-new-device-subject = Sign-in from a new device
msg-new-device-body = Your migportal account was signed in from a new device ({ $device }) at { $time }. If it was not you, change your password and sign out on all devices.
msg-password-subject = Password changed
msg-password-changed = Your migportal password was changed at { $time }. If it was not you, recover access and contact a service centre.
msg-password-reset = Your migportal password was reset with a code at { $time }. All sessions have ended.
err-password-current-wrong = The current password is wrong
