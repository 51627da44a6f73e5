// The part of autocannon's API the tests use (it ships no types; the bench uses it from plain JavaScript).
declare module 'autocannon' {
  interface Result {
    requests: {total: number; average: number}
    non2xx: number
    errors: number
  }

  export default function autocannon(options: {url: string; connections?: number; amount?: number}): Promise<Result>
}
