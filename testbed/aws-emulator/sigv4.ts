/**
 * Server-side AWS Signature Version 4 check, so tests prove the real SDK signed each request
 * with the credentials the emulator handed out (not just that some header was present).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { AwsError } from './http.js';

export interface SignatureScope {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

const AUTHORIZATION_PATTERN =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/;

/** Reads who signed and for which region and service; undefined when the request is unsigned. */
export function parseAuthorization(header: string | undefined): SignatureScope | undefined {
  if (header === undefined) return undefined;
  const match = AUTHORIZATION_PATTERN.exec(header.trim());
  if (match === null) {
    throw new AwsError(
      'IncompleteSignatureException',
      'Authorization header requires a valid AWS4-HMAC-SHA256 Credential, SignedHeaders and Signature.',
      400,
    );
  }
  const [, accessKeyId, date, region, service, signedHeaders, signature] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  return { accessKeyId, date, region, service, signedHeaders: signedHeaders.split(';'), signature };
}

function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

/** RFC 3986 encoding as SigV4 wants it (encodeURIComponent leaves !'()* alone). */
function uriEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function canonicalQuery(search: string): string {
  const pairs = [...new URLSearchParams(search)].map(([k, v]) => [uriEncode(k), uriEncode(v)] as const);
  pairs.sort((a, b) => (a[0] === b[0] ? (a[1] < b[1] ? -1 : 1) : a[0] < b[0] ? -1 : 1));
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

/** Header values as received, repeated headers joined by a comma, white space folded. */
function headerValues(request: IncomingMessage): Map<string, string> {
  const values = new Map<string, string[]>();
  const raw = request.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] ?? '').toLowerCase();
    const list = values.get(name) ?? [];
    list.push((raw[i + 1] ?? '').trim().replace(/\s+/g, ' '));
    values.set(name, list);
  }
  return new Map([...values].map(([name, list]) => [name, list.join(',')]));
}

export function verifySignature(
  request: IncomingMessage,
  body: Buffer,
  scope: SignatureScope,
  secretAccessKey: string,
): void {
  const url = new URL(request.url ?? '/', 'http://emulator');
  const headers = headerValues(request);
  const amzDate = headers.get('x-amz-date');
  if (amzDate === undefined || !amzDate.startsWith(scope.date)) {
    throw new AwsError(
      'IncompleteSignatureException',
      'X-Amz-Date header is missing or does not match the credential scope date.',
      400,
    );
  }
  const canonicalHeaders = scope.signedHeaders.map((name) => `${name}:${headers.get(name) ?? ''}\n`).join('');
  const canonicalRequest = [
    request.method ?? 'GET',
    url.pathname,
    canonicalQuery(url.search),
    canonicalHeaders,
    scope.signedHeaders.join(';'),
    headers.get('x-amz-content-sha256') ?? sha256Hex(body),
  ].join('\n');
  const credentialScope = `${scope.date}/${scope.region}/${scope.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, credentialScope, sha256Hex(canonicalRequest)].join('\n');
  const signingKey = hmac(
    hmac(hmac(hmac(`AWS4${secretAccessKey}`, scope.date), scope.region), scope.service),
    'aws4_request',
  );
  const expected = hmac(signingKey, stringToSign);
  const given = Buffer.from(scope.signature, 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new AwsError(
      'InvalidSignatureException',
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.',
      403,
    );
  }
}
