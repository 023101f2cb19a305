import { SignJWT } from 'jose'

/** An HS256 bearer token for `sub`, as a server with `FERRY_JWT_SECRET=secret` accepts. */
export async function bearerToken(secret: string, sub: string, expiresIn = '5m'): Promise<string> {
  const token = await new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(new TextEncoder().encode(secret))
  return `Bearer ${token}`
}
