from pymongo import AsyncMongoClient


async def test_embedded_server_answers_the_real_driver(mongo_url: str) -> None:
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(mongo_url)
    try:
        await client.smoke.c.insert_one({"_id": "a", "n": 1})
        assert await client.smoke.c.find_one({"_id": "a"}) == {"_id": "a", "n": 1}
    finally:
        await client.drop_database("smoke")
        await client.close()
